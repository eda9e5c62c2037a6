/**
 * Every option res_pjsip (Asterisk 22) registers for the object types Recall models, with
 * Asterisk's default and value kind. The typed object of each type is derived from its
 * table (see Fields), so an option added here is parsed, defaulted and typed at once.
 * Options whose meaning Recall does not use yet are still checked (booleans, numbers,
 * word lists) or kept as strings, so a config valid for Asterisk loads.
 */
import { parseUri } from "../message/uri.js";
import { type HostPort, type Network, ipFamily, parseHostPort, parseNetwork } from "./network.js";
import {
  type CallerId, type OptionSpec, type SetVar, ValueError, accumulate, bool, codecs, double, int, into, names, oneOf,
  option, parseBool, parseCallerId, parseGroups, parseSetVar, splitList, str, uint,
} from "./values.js";

// ---------------------------------------------------------------------------------------
// Shared value kinds

/** Yes/no words (as `bool`) mapped to "yes"/"no", plus extra words: `100rel`, `timers`, `dtls_verify`. */
function yesNoOr<const V extends string>(initial: "yes" | "no" | V, extra: readonly V[], aliases: Readonly<Record<string, V>> = {}): OptionSpec<"yes" | "no" | V> {
  const words = oneOf<V>(extra[0], extra, aliases);
  return option<"yes" | "no" | V>(initial, (v) => {
    try {
      return parseBool(v) ? "yes" : "no";
    } catch {
      try {
        return words.apply(v, extra[0]);
      } catch {
        throw new ValueError(`'${v}' is not one of yes, no, ${extra.join(", ")}`);
      }
    }
  });
}

export interface AclRule { readonly sense: "permit" | "deny"; readonly network: Network }
/** An ACL as an object writes it: its own permit/deny rules in order, and named ACLs from acl.conf. */
export interface AclSpec { readonly rules: readonly AclRule[]; readonly named: readonly string[] }
export const EMPTY_ACL: AclSpec = { rules: [], named: [] };

function aclRules<F extends string>(field: F, sense: AclRule["sense"]) {
  return into(field, option<AclSpec>(EMPTY_ACL, (v, cur) => ({
    ...cur,
    rules: [...cur.rules, ...splitList(v).map((n) => ({ sense, network: parseNetwork(n) }))],
  })));
}

function aclNames<F extends string>(field: F) {
  return into(field, option<AclSpec>(EMPTY_ACL, (v, cur) => ({ ...cur, named: [...cur.named, ...splitList(v)] })));
}

/** A sip: or sips: URI, checked with the SIP message parser. */
export function parseSipUri(value: string): string {
  let scheme: string;
  try {
    scheme = parseUri(value).scheme;
  } catch (err) {
    throw new ValueError(`'${value}' is not a valid SIP URI (${(err as Error).message})`);
  }
  if (scheme !== "sip" && scheme !== "sips") throw new ValueError(`'${value}' is not a sip: or sips: URI`);
  return value;
}

const sipUri = () => option<string>("", (v) => (v === "" ? v : parseSipUri(v)));

/** An identify `match` item: an address or network (optionally with a port), or a host name to resolve. */
export type IdentifyMatch =
  | { readonly kind: "network"; readonly network: Network; readonly port?: number }
  | { readonly kind: "host"; readonly host: string; readonly port?: number };

export function parseIdentifyMatch(item: string): IdentifyMatch {
  if (item.includes("/")) return { kind: "network", network: parseNetwork(item) };
  const hp = parseHostPort(item);
  if (ipFamily(hp.host)) {
    const network = parseNetwork(hp.host);
    return hp.port === undefined ? { kind: "network", network } : { kind: "network", network, port: hp.port };
  }
  return hp.port === undefined ? { kind: "host", host: hp.host.toLowerCase() } : { kind: "host", host: hp.host.toLowerCase(), port: hp.port };
}

export type DigestAlgorithm = "MD5" | "SHA-256" | "SHA-512-256";
const DIGEST_LENGTH: Record<DigestAlgorithm, number> = { "MD5": 32, "SHA-256": 64, "SHA-512-256": 64 };
const algorithm = oneOf<DigestAlgorithm>("MD5", ["MD5", "SHA-256", "SHA-512-256"]);

export interface PasswordDigest { readonly algorithm: DigestAlgorithm; readonly digest: string }

/** `password_digest = ALGO:hex` (several per line, comma-separated); `md5_cred = hex` is MD5. */
function parsePasswordDigest(item: string): PasswordDigest {
  const colon = item.indexOf(":");
  const algo = colon < 0 ? "MD5" : algorithm.apply(item.slice(0, colon).trim(), "MD5");
  const digest = (colon < 0 ? item : item.slice(colon + 1)).trim().toLowerCase();
  if (!new RegExp(`^[0-9a-f]{${DIGEST_LENGTH[algo]}}$`).test(digest)) {
    throw new ValueError(`${algo} digest must be ${DIGEST_LENGTH[algo]} hex digits`);
  }
  return { algorithm: algo, digest };
}

const algorithms = () => option<readonly DigestAlgorithm[]>([], (v) => splitList(v).map((a) => algorithm.apply(a, "MD5")));

const bindAddress = () => option<HostPort | undefined>(undefined, (v) => {
  const hp = parseHostPort(v);
  if (!ipFamily(hp.host)) throw new ValueError(`'${v}' is not an IP address (bind takes an address, not a host name)`);
  return hp;
});

// ---------------------------------------------------------------------------------------
// The tables

export const ENDPOINT_OPTIONS = {
  context: str("default"),
  disallow: codecs("allow", false),
  allow: codecs("allow", true),
  dtmf_mode: oneOf("rfc4733", ["rfc4733", "inband", "info", "auto", "auto_info", "none"]),
  rtp_ipv6: bool(false),
  rtp_symmetric: bool(false),
  ice_support: bool(false),
  use_ptime: bool(false),
  force_rport: bool(true),
  rewrite_contact: bool(false),
  transport: str(),
  outbound_proxy: str(),
  moh_suggest: str("default"),
  "100rel": yesNoOr("yes", ["required", "peer_supported"]),
  timers: yesNoOr("yes", ["required", "always"], { forced: "always" }),
  timers_min_se: uint(90),
  timers_sess_expires: uint(1800),
  auth: names(),
  outbound_auth: names(),
  aors: names(),
  media_address: str(),
  bind_rtp_to_media_address: bool(false),
  identify_by: names(["username", "ip"], ["username", "auth_username", "ip", "header", "request_uri"]),
  direct_media: bool(true),
  direct_media_method: oneOf("invite", ["invite", "reinvite", "update"]),
  trust_connected_line: bool(true),
  send_connected_line: bool(true),
  connected_line_method: oneOf("invite", ["invite", "reinvite", "update"]),
  direct_media_glare_mitigation: oneOf("none", ["none", "outgoing", "incoming"]),
  disable_direct_media_on_nat: bool(false),
  callerid: option<CallerId | undefined>(undefined, parseCallerId),
  callerid_privacy: oneOf("allowed_not_screened", [
    "allowed_not_screened", "allowed_passed_screen", "allowed_failed_screen", "allowed",
    "prohib_not_screened", "prohib_passed_screen", "prohib_failed_screen", "prohib", "unavailable",
  ]),
  callerid_tag: str(),
  trust_id_inbound: bool(false),
  trust_id_outbound: bool(false),
  send_pai: bool(false),
  send_rpid: bool(false),
  rpid_immediate: bool(false),
  send_diversion: bool(true),
  send_history_info: bool(false),
  mailboxes: names(),
  voicemail_extension: str(),
  aggregate_mwi: bool(true),
  mwi_subscribe_replaces_unsolicited: bool(false),
  media_encryption: oneOf("no", ["no", "sdes", "dtls"]),
  use_avpf: bool(false),
  force_avp: bool(false),
  media_use_received_transport: bool(false),
  rtp_keepalive: uint(0),
  rtp_timeout: uint(0),
  rtp_timeout_hold: uint(0),
  rtp_port_start: uint(0),
  rtp_port_end: uint(0),
  one_touch_recording: bool(false),
  inband_progress: bool(false),
  call_group: option<readonly number[]>([], parseGroups),
  pickup_group: option<readonly number[]>([], parseGroups),
  named_call_group: names(),
  named_pickup_group: names(),
  device_state_busy_at: uint(0),
  t38_udptl: bool(false),
  t38_udptl_ec: oneOf("none", ["none", "fec", "redundancy"]),
  t38_udptl_maxdatagram: uint(0),
  fax_detect: bool(false),
  fax_detect_timeout: uint(0),
  t38_udptl_nat: bool(false),
  t38_udptl_ipv6: bool(false),
  t38_bind_udptl_to_media_address: bool(false),
  tone_zone: str(),
  language: str(),
  record_on_feature: str("automixmon"),
  record_off_feature: str("automixmon"),
  allow_transfer: bool(true),
  user_eq_phone: bool(false),
  moh_passthrough: bool(false),
  sdp_owner: str("-"),
  sdp_session: str("Asterisk"),
  tos_audio: str("0"),
  tos_video: str("0"),
  cos_audio: uint(0),
  cos_video: uint(0),
  allow_subscribe: bool(true),
  sub_min_expiry: uint(0),
  from_user: str(),
  from_domain: str(),
  mwi_from_user: str(),
  rtp_engine: str("asterisk"),
  dtls_verify: yesNoOr("no", ["fingerprint", "certificate"]),
  dtls_rekey: uint(0),
  dtls_auto_generate_cert: bool(false),
  dtls_cert_file: str(),
  dtls_private_key: str(),
  dtls_cipher: str(),
  dtls_ca_file: str(),
  dtls_ca_path: str(),
  dtls_setup: oneOf("", ["", "active", "passive", "actpass"]),
  dtls_fingerprint: oneOf("", ["", "SHA-1", "SHA-256"]),
  srtp_tag_32: bool(false),
  media_encryption_optimistic: bool(false),
  g726_non_standard: bool(false),
  redirect_method: oneOf("user", ["user", "uri_core", "uri_pjsip"]),
  follow_redirect_methods: names(),
  set_var: accumulate<SetVar>(parseSetVar, false),
  message_context: str(),
  accountcode: str(),
  deny: aclRules("acl", "deny"),
  permit: aclRules("acl", "permit"),
  acl: aclNames("acl"),
  contact_deny: aclRules("contact_acl", "deny"),
  contact_permit: aclRules("contact_acl", "permit"),
  contact_acl: aclNames("contact_acl"),
  subscribe_context: str(),
  contact_user: str(),
  preferred_codec_only: bool(false),
  asymmetric_rtp_codec: bool(false),
  rtcp_mux: bool(false),
  allow_overlap: bool(true),
  overlap_context: str(),
  refer_blind_progress: bool(true),
  notify_early_inuse_ringing: bool(false),
  max_audio_streams: uint(1),
  max_video_streams: uint(1),
  bundle: bool(false),
  webrtc: bool(false),
  incoming_mwi_mailbox: str(),
  follow_early_media_fork: bool(true),
  accept_multiple_sdp_answers: bool(false),
  suppress_q850_reason_headers: bool(false),
  ignore_183_without_sdp: bool(false),
  incoming_call_offer_pref: oneOf("local", ["local", "local_first", "remote", "remote_first"]),
  outgoing_call_offer_pref: oneOf("remote_merge", ["local", "local_merge", "local_first", "remote", "remote_merge", "remote_first"]),
  codec_prefs_incoming_offer: str("prefer: pending, operation: intersect, keep: all, transcode: allow"),
  codec_prefs_outgoing_offer: str("prefer: pending, operation: union, keep: all, transcode: allow"),
  codec_prefs_incoming_answer: str("prefer: pending, operation: intersect, keep: all"),
  codec_prefs_outgoing_answer: str("prefer: pending, operation: intersect, keep: all"),
  stir_shaken_profile: str(),
  allow_unauthenticated_options: bool(false),
  geoloc_incoming_call_profile: str(),
  geoloc_outgoing_call_profile: str(),
  security_mechanisms: str(),
  security_negotiation: oneOf("no", ["no", "mediasec"]),
  send_aoc: bool(false),
  tenantid: str(),
  suppress_moh_on_sendonly: bool(false),
} as const;

export const AOR_OPTIONS = {
  minimum_expiration: uint(60),
  maximum_expiration: uint(7200),
  default_expiration: uint(3600),
  qualify_frequency: uint(0),
  qualify_timeout: double(3.0),
  qualify_2xx_only: bool(false),
  authenticate_qualify: bool(false),
  max_contacts: uint(0),
  remove_existing: bool(false),
  remove_unavailable: bool(false),
  /** Static contacts (`contact=` lines accumulate; a line may hold several, comma-separated). */
  contact: accumulate(parseSipUri),
  mailboxes: names(),
  voicemail_extension: str(),
  outbound_proxy: str(),
  support_path: bool(false),
} as const;

export const AUTH_OPTIONS = {
  auth_type: oneOf("userpass", ["userpass", "md5", "digest", "google_oauth"]),
  username: str(),
  password: str(),
  /** `md5_cred` is a pre-hashed MD5 digest; Asterisk files it with the password digests. */
  md5_cred: into("password_digest", accumulate(parsePasswordDigest)),
  password_digest: accumulate(parsePasswordDigest),
  realm: str(),
  nonce_lifetime: uint(32),
  refresh_token: str(),
  oauth_clientid: str(),
  oauth_secret: str(),
  supported_algorithms_uac: algorithms(),
  supported_algorithms_uas: algorithms(),
} as const;

export const TRANSPORT_OPTIONS = {
  protocol: oneOf("udp", ["udp", "tcp", "tls", "ws", "wss", "flow"]),
  bind: bindAddress(),
  async_operations: uint(1),
  ca_list_file: str(),
  ca_list_path: str(),
  cert_file: str(),
  priv_key_file: str(),
  password: str(),
  external_signaling_address: str(),
  external_signaling_port: uint(0),
  external_signaling_hostname: str(),
  external_media_address: str(),
  domain: str(),
  verify_server: bool(false),
  verify_client: bool(false),
  require_client_cert: bool(false),
  allow_wildcard_certs: bool(false),
  method: oneOf("default", ["default", "unspecified", "tlsv1", "tlsv1_1", "tlsv1_2", "tlsv1_3", "sslv2", "sslv3", "sslv23"]),
  tcp_keepalive_enable: bool(false),
  tcp_keepalive_idle_time: int(30),
  tcp_keepalive_interval_time: int(1),
  tcp_keepalive_probe_count: int(5),
  cipher: str(),
  local_net: accumulate(parseNetwork),
  tos: str("0"),
  cos: uint(0),
  websocket_write_timeout: uint(100),
  allow_reload: bool(false),
  symmetric_transport: bool(false),
} as const;

export const REGISTRATION_OPTIONS = {
  server_uri: sipUri(),
  client_uri: sipUri(),
  contact_user: str(),
  contact_header_params: str(),
  transport: str(),
  outbound_proxy: str(),
  expiration: uint(3600),
  max_random_initial_delay: uint(10),
  retry_interval: uint(60),
  forbidden_retry_interval: uint(0),
  fatal_retry_interval: uint(0),
  max_retries: uint(10),
  auth_rejection_permanent: bool(true),
  outbound_auth: names(),
  support_path: bool(false),
  support_outbound: bool(false),
  security_negotiation: oneOf("no", ["no", "mediasec"]),
  security_mechanisms: str(),
  line: bool(false),
  endpoint: str(),
  user_agent: str(),
} as const;

export const IDENTIFY_OPTIONS = {
  endpoint: str(),
  match: accumulate(parseIdentifyMatch),
  match_header: str(),
  match_request_uri: str(),
  srv_lookups: bool(true),
} as const;

export const DOMAIN_ALIAS_OPTIONS = {
  domain: str(),
} as const;

export const ACL_OPTIONS = {
  deny: aclRules("acl", "deny"),
  permit: aclRules("acl", "permit"),
  acl: aclNames("acl"),
  contact_deny: aclRules("contact_acl", "deny"),
  contact_permit: aclRules("contact_acl", "permit"),
  contact_acl: aclNames("contact_acl"),
} as const;

export const GLOBAL_OPTIONS = {
  max_forwards: uint(70),
  user_agent: str("Asterisk PBX"),
  default_outbound_endpoint: str("default_outbound_endpoint"),
  debug: str("no"),
  endpoint_identifier_order: names(["ip", "username", "anonymous"]),
  keep_alive_interval: uint(90),
  max_initial_qualify_time: uint(0),
  default_from_user: str("asterisk"),
  default_voicemail_extension: str(),
  regcontext: str(),
  contact_expiration_check_interval: uint(30),
  disable_multi_domain: bool(false),
  unidentified_request_count: uint(5),
  unidentified_request_period: uint(5),
  unidentified_request_prune_interval: uint(30),
  default_realm: str("asterisk"),
  mwi_tps_queue_high: uint(500),
  mwi_tps_queue_low: int(-1),
  mwi_disable_initial_unsolicited: bool(false),
  allow_sending_180_after_183: bool(false),
  ignore_uri_user_options: bool(false),
  use_callerid_contact: bool(false),
  send_contact_status_on_update_registration: bool(false),
  taskprocessor_overload_trigger: oneOf("global", ["none", "global", "pjsip_only"]),
  norefersub: bool(true),
  all_codecs_on_empty_reinvite: bool(false),
  default_auth_algorithms_uas: algorithms(),
  default_auth_algorithms_uac: algorithms(),
} as const;

export const SYSTEM_OPTIONS = {
  timer_t1: uint(500),
  timer_b: uint(32000),
  compact_headers: bool(false),
  threadpool_initial_size: uint(4),
  threadpool_auto_increment: uint(1),
  threadpool_idle_timeout: uint(60),
  threadpool_max_size: uint(50),
  taskpool_minimum_size: uint(4),
  taskpool_initial_size: uint(4),
  taskpool_auto_increment: uint(1),
  taskpool_idle_timeout: uint(60),
  taskpool_max_size: uint(50),
  disable_tcp_switch: bool(true),
  follow_early_media_fork: bool(true),
  accept_multiple_sdp_answers: bool(false),
  disable_rport: bool(false),
} as const;

/** The object types Recall models, each with its option table. */
export const OPTION_TABLES = {
  endpoint: ENDPOINT_OPTIONS,
  aor: AOR_OPTIONS,
  auth: AUTH_OPTIONS,
  transport: TRANSPORT_OPTIONS,
  registration: REGISTRATION_OPTIONS,
  identify: IDENTIFY_OPTIONS,
  domain_alias: DOMAIN_ALIAS_OPTIONS,
  acl: ACL_OPTIONS,
  global: GLOBAL_OPTIONS,
  system: SYSTEM_OPTIONS,
} as const;

export type ModelledType = keyof typeof OPTION_TABLES;

/**
 * Types other Asterisk modules load from pjsip.conf. Recall keeps their sections as
 * written (options unchecked) so such configs load; it does not act on them yet.
 */
export const UNMODELLED_TYPES = [
  "phoneprov", "resource_list", "outbound-publish", "inbound-publication", "asterisk-publication",
] as const;
export type UnmodelledType = (typeof UNMODELLED_TYPES)[number];
