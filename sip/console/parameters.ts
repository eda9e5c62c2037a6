/**
 * The options of one object as `pjsip show <type> <name>` lists them: every option
 * Asterisk registers for the type, rendered the way its sorcery handlers print them
 * (booleans as true/false or yes/no depending on the option's kind, doubles with six
 * decimals, codec lists in parentheses, list options as one row per item...).
 */
import type { Aor, Auth, Endpoint, Global, Identify, PjsipModel, Registration, Transport } from "../config/model.js";
import { AOR_OPTIONS } from "../config/schema.js";
import type { AclSpec, DigestAlgorithm, IdentifyMatch } from "../config/schema.js";
import type { CallerId } from "../config/values.js";
import { formatHostPort, parseNetwork, type Network } from "../config/network.js";
import { tosValue } from "../config/tos.js";
import type { Parameter } from "./text.js";
import type { ContactView } from "./view.js";

const trueFalse = (b: boolean) => (b ? "true" : "false");
const yesNo = (b: boolean) => (b ? "yes" : "no");
/** Asterisk's AST_YESNO, used by a few handlers. */
const capYesNo = (b: boolean) => (b ? "Yes" : "No");
const num = (n: number) => String(n);
/** C's `%f`. */
const double = (n: number) => n.toFixed(6);

/** One row per item (a field with a list handler), or the field with an empty value. */
function rows(name: string, items: readonly string[]): Parameter[] {
  return items.length ? items.map((v) => [name, v] as const) : [[name, ""]];
}

/** ast_callerid_merge: `"name" <number>`, or whichever part is set, or `<unknown>`. */
function callerIdText(cid: CallerId | undefined): string {
  const name = cid?.name ? cid.name : undefined;
  const number = cid?.number ? cid.number : undefined;
  if (name !== undefined && number !== undefined) return `"${name.replace(/(["\\])/g, "\\$1")}" <${number}>`;
  return name ?? number ?? "<unknown>";
}

/**
 * acl_to_str: the first ACL of the list — its name, or "deny/permit" for inline rules.
 * The model keeps rules and names apart, so a mix is shown by its named ACL.
 */
function aclText(acl: AclSpec): string {
  if (acl.named.length) return acl.named[0];
  return acl.rules.length ? "deny/permit" : "";
}

/** A netmask in the dotted (or IPv6) form Asterisk prints ACL entries with. */
export function netmaskText(net: Network): string {
  const width = net.family === 4 ? 32 : 128;
  const all = (1n << BigInt(width)) - 1n;
  const mask = net.prefix === 0 ? 0n : (all >> BigInt(width - net.prefix)) << BigInt(width - net.prefix);
  if (net.family === 4) return [24n, 16n, 8n, 0n].map((s) => String((mask >> s) & 0xffn)).join(".");
  const groups = Array.from({ length: 8 }, (_, i) => ((mask >> BigInt((7 - i) * 16)) & 0xffffn).toString(16));
  return parseNetwork(`${groups.join(":")}/128`).address;
}

/** The address part of an identify match: `addr`, or `addr:port` when a port was given. */
export function matchAddress(m: IdentifyMatch): string {
  const host = m.kind === "network" ? m.network.address : m.host;
  return m.port === undefined ? host : formatHostPort({ host, port: m.port });
}

/** A match's netmask; a host name (resolved by Asterisk at load) counts as one address. */
function matchNetwork(m: IdentifyMatch): Network {
  return m.kind === "network" ? m.network : { family: 4, address: m.host, prefix: 32 };
}

/** The refresh-method words Asterisk prints (`reinvite` is stored as `invite`). */
const refreshMethod = (m: string) => (m === "update" ? "update" : "invite");

const PRIVACY_ALIASES: Readonly<Record<string, string>> = { allowed: "allowed_not_screened", prohib: "prohib_not_screened" };

export function endpointParameters(e: Endpoint): Parameter[] {
  // webrtc = yes switches on what WebRTC needs when the endpoint is applied.
  const webrtc = e.webrtc;
  const bundle = e.bundle || webrtc;
  const dtlsVerify = webrtc ? "fingerprint" : e.dtls_verify;
  return [
    ["context", e.context],
    ["allow", `(${e.allow.length ? e.allow.join("|") : "nothing"})`],
    ["dtmf_mode", e.dtmf_mode],
    ["rtp_ipv6", trueFalse(e.rtp_ipv6)],
    ["rtp_symmetric", trueFalse(e.rtp_symmetric)],
    ["ice_support", trueFalse(e.ice_support || webrtc)],
    ["use_ptime", trueFalse(e.use_ptime)],
    ["force_rport", trueFalse(e.force_rport)],
    ["rewrite_contact", trueFalse(e.rewrite_contact)],
    ["transport", e.transport],
    ["outbound_proxy", e.outbound_proxy],
    ["moh_suggest", e.moh_suggest],
    ["100rel", e["100rel"]],
    ["timers", e.timers],
    ["timers_min_se", num(e.timers_min_se)],
    ["timers_sess_expires", num(e.timers_sess_expires)],
    ["auth", e.auth.join(",")],
    ["outbound_auth", e.outbound_auth.join(",")],
    ["aors", e.aors.join(",")],
    ["media_address", e.media_address],
    ["bind_rtp_to_media_address", trueFalse(e.bind_rtp_to_media_address)],
    ["identify_by", e.identify_by.join(",")],
    ["direct_media", trueFalse(e.direct_media)],
    // Asterisk prints the connected-line method under direct_media_method too.
    ["direct_media_method", refreshMethod(e.connected_line_method)],
    ["trust_connected_line", yesNo(e.trust_connected_line)],
    ["send_connected_line", yesNo(e.send_connected_line)],
    ["connected_line_method", refreshMethod(e.connected_line_method)],
    ["direct_media_glare_mitigation", e.direct_media_glare_mitigation],
    ["disable_direct_media_on_nat", trueFalse(e.disable_direct_media_on_nat)],
    ["callerid", callerIdText(e.callerid)],
    ["callerid_privacy", PRIVACY_ALIASES[e.callerid_privacy] ?? e.callerid_privacy],
    ["callerid_tag", e.callerid_tag],
    ["trust_id_inbound", trueFalse(e.trust_id_inbound)],
    ["trust_id_outbound", trueFalse(e.trust_id_outbound)],
    ["send_pai", trueFalse(e.send_pai)],
    ["send_rpid", trueFalse(e.send_rpid)],
    ["rpid_immediate", trueFalse(e.rpid_immediate)],
    ["send_diversion", trueFalse(e.send_diversion)],
    ["send_history_info", trueFalse(e.send_history_info)],
    ["mailboxes", e.mailboxes.join(",")],
    ["voicemail_extension", e.voicemail_extension],
    ["aggregate_mwi", trueFalse(e.aggregate_mwi)],
    ["mwi_subscribe_replaces_unsolicited", yesNo(e.mwi_subscribe_replaces_unsolicited)],
    ["media_encryption", webrtc ? "dtls" : e.media_encryption],
    ["use_avpf", trueFalse(e.use_avpf || webrtc)],
    ["force_avp", trueFalse(e.force_avp)],
    ["media_use_received_transport", trueFalse(e.media_use_received_transport || webrtc)],
    ["rtp_keepalive", num(e.rtp_keepalive)],
    ["rtp_timeout", num(e.rtp_timeout)],
    ["rtp_timeout_hold", num(e.rtp_timeout_hold)],
    ["rtp_port_start", num(e.rtp_port_start)],
    ["rtp_port_end", num(e.rtp_port_end)],
    ["one_touch_recording", trueFalse(e.one_touch_recording)],
    ["inband_progress", trueFalse(e.inband_progress)],
    ["call_group", e.call_group.join(", ")],
    ["pickup_group", e.pickup_group.join(", ")],
    ["named_call_group", e.named_call_group.join(", ")],
    ["named_pickup_group", e.named_pickup_group.join(", ")],
    ["device_state_busy_at", num(e.device_state_busy_at)],
    ["t38_udptl", trueFalse(e.t38_udptl)],
    ["t38_udptl_ec", e.t38_udptl_ec],
    ["t38_udptl_maxdatagram", num(e.t38_udptl_maxdatagram)],
    ["fax_detect", trueFalse(e.fax_detect)],
    ["fax_detect_timeout", num(e.fax_detect_timeout)],
    ["t38_udptl_nat", trueFalse(e.t38_udptl_nat)],
    ["t38_udptl_ipv6", trueFalse(e.t38_udptl_ipv6)],
    ["t38_bind_udptl_to_media_address", trueFalse(e.t38_bind_udptl_to_media_address)],
    ["tone_zone", e.tone_zone],
    ["language", e.language],
    ["record_on_feature", e.record_on_feature],
    ["record_off_feature", e.record_off_feature],
    ["allow_transfer", trueFalse(e.allow_transfer)],
    ["user_eq_phone", trueFalse(e.user_eq_phone)],
    ["moh_passthrough", trueFalse(e.moh_passthrough)],
    ["sdp_owner", e.sdp_owner],
    ["sdp_session", e.sdp_session],
    ["tos_audio", num(tosValue(e.tos_audio))],
    ["tos_video", num(tosValue(e.tos_video))],
    ["cos_audio", num(e.cos_audio)],
    ["cos_video", num(e.cos_video)],
    ["allow_subscribe", trueFalse(e.allow_subscribe)],
    ["sub_min_expiry", num(e.sub_min_expiry)],
    ["from_user", e.from_user],
    ["from_domain", e.from_domain],
    ["mwi_from_user", e.mwi_from_user],
    ["rtp_engine", e.rtp_engine],
    ["dtls_verify", dtlsVerify === "yes" ? "Yes" : dtlsVerify === "no" ? "No" : dtlsVerify === "fingerprint" ? "Fingerprint" : "Certificate"],
    ["dtls_rekey", num(webrtc ? 0 : e.dtls_rekey)],
    ["dtls_auto_generate_cert", capYesNo(e.dtls_auto_generate_cert || (webrtc && e.dtls_cert_file === ""))],
    ["dtls_cert_file", e.dtls_cert_file],
    ["dtls_private_key", e.dtls_private_key],
    ["dtls_cipher", e.dtls_cipher],
    ["dtls_ca_file", e.dtls_ca_file],
    ["dtls_ca_path", e.dtls_ca_path],
    ["dtls_setup", webrtc ? "actpass" : e.dtls_setup || "active"],
    ["dtls_fingerprint", e.dtls_fingerprint || "SHA-256"],
    ["srtp_tag_32", trueFalse(e.srtp_tag_32)],
    ["media_encryption_optimistic", trueFalse(e.media_encryption_optimistic)],
    ["g726_non_standard", trueFalse(e.g726_non_standard)],
    ["redirect_method", e.redirect_method],
    ["follow_redirect_methods", e.follow_redirect_methods.join(",")],
    // set_var lists each channel variable under its own name.
    ...(e.set_var.length ? e.set_var.map((v) => [v.name, v.value] as const) : [["set_var", ""] as const]),
    ["message_context", e.message_context],
    ["accountcode", e.accountcode],
    ["acl", aclText(e.acl)],
    ["contact_acl", aclText(e.contact_acl)],
    ["subscribe_context", e.subscribe_context],
    ["contact_user", e.contact_user],
    ["preferred_codec_only", trueFalse(e.preferred_codec_only)],
    ["asymmetric_rtp_codec", trueFalse(e.asymmetric_rtp_codec)],
    ["rtcp_mux", trueFalse(e.rtcp_mux || bundle)],
    ["allow_overlap", trueFalse(e.allow_overlap)],
    ["overlap_context", e.overlap_context],
    ["refer_blind_progress", trueFalse(e.refer_blind_progress)],
    ["notify_early_inuse_ringing", trueFalse(e.notify_early_inuse_ringing)],
    ["max_audio_streams", num(e.max_audio_streams)],
    ["max_video_streams", num(e.max_video_streams)],
    ["bundle", trueFalse(bundle)],
    ["webrtc", yesNo(webrtc)],
    ["incoming_mwi_mailbox", e.incoming_mwi_mailbox],
    ["follow_early_media_fork", trueFalse(e.follow_early_media_fork)],
    ["accept_multiple_sdp_answers", trueFalse(e.accept_multiple_sdp_answers)],
    ["suppress_q850_reason_headers", trueFalse(e.suppress_q850_reason_headers)],
    ["ignore_183_without_sdp", trueFalse(e.ignore_183_without_sdp)],
    ["incoming_call_offer_pref", e.incoming_call_offer_pref],
    ["outgoing_call_offer_pref", e.outgoing_call_offer_pref],
    ["codec_prefs_incoming_offer", e.codec_prefs_incoming_offer],
    ["codec_prefs_outgoing_offer", e.codec_prefs_outgoing_offer],
    ["codec_prefs_incoming_answer", e.codec_prefs_incoming_answer],
    ["codec_prefs_outgoing_answer", e.codec_prefs_outgoing_answer],
    // Deprecated option Asterisk still registers; it always prints "no".
    ["stir_shaken", "no"],
    ["stir_shaken_profile", e.stir_shaken_profile],
    ["allow_unauthenticated_options", trueFalse(e.allow_unauthenticated_options)],
    ["geoloc_incoming_call_profile", e.geoloc_incoming_call_profile],
    ["geoloc_outgoing_call_profile", e.geoloc_outgoing_call_profile],
    ["security_mechanisms", e.security_mechanisms],
    ["security_negotiation", e.security_negotiation],
    ["send_aoc", trueFalse(e.send_aoc)],
    ["tenantid", e.tenantid],
    ["suppress_moh_on_sendonly", trueFalse(e.suppress_moh_on_sendonly)],
  ];
}

/** `contacts` are the aor's contacts in listing order: one `contact` row per URI. */
export function aorParameters(a: Aor, contacts: readonly ContactView[]): Parameter[] {
  return [
    ["minimum_expiration", num(a.minimum_expiration)],
    ["maximum_expiration", num(a.maximum_expiration)],
    ["default_expiration", num(a.default_expiration)],
    ["qualify_frequency", num(a.qualify_frequency)],
    ["qualify_timeout", double(a.qualify_timeout)],
    ["qualify_2xx_only", trueFalse(a.qualify_2xx_only)],
    ["authenticate_qualify", trueFalse(a.authenticate_qualify)],
    ["max_contacts", num(a.max_contacts)],
    ["remove_existing", trueFalse(a.remove_existing)],
    ["remove_unavailable", trueFalse(a.remove_unavailable)],
    ...rows("contact", contacts.map((c) => c.uri)),
    ["mailboxes", a.mailboxes.join(",")],
    ["voicemail_extension", a.voicemail_extension],
    ["outbound_proxy", a.outbound_proxy],
    ["support_path", trueFalse(a.support_path)],
  ];
}

const ALGORITHM_ORDER: readonly DigestAlgorithm[] = ["MD5", "SHA-256", "SHA-512-256"];

/** Passwords are shown in clear, as Asterisk does. */
export function authParameters(a: Auth, global: Global): Parameter[] {
  // One digest per algorithm (the last one written wins), in Asterisk's algorithm order.
  const digests = new Map(a.password_digest.map((d) => [d.algorithm, d.digest]));
  const ordered = ALGORITHM_ORDER.filter((algo) => digests.has(algo));
  const algorithms = (own: readonly DigestAlgorithm[], fallback: readonly DigestAlgorithm[]) =>
    (own.length ? own : fallback.length ? fallback : ["MD5"]).join(",");
  return [
    ["username", a.username],
    ["password", a.password],
    ["refresh_token", a.refresh_token],
    ["oauth_clientid", a.oauth_clientid],
    ["oauth_secret", a.oauth_secret],
    ["md5_cred", digests.get("MD5") ?? ""],
    ["realm", a.realm],
    ["nonce_lifetime", num(a.nonce_lifetime)],
    ["auth_type", a.auth_type],
    ["password_digest", ordered.map((algo) => `${algo}:${digests.get(algo)}`).join(",")],
    ["supported_algorithms_uac", algorithms(a.supported_algorithms_uac, global.default_auth_algorithms_uac)],
    ["supported_algorithms_uas", algorithms(a.supported_algorithms_uas, global.default_auth_algorithms_uas)],
  ];
}

/** The address a transport listens on, `ip:port` (`[v6]:port`). */
export function transportAddress(t: Transport): string {
  const secure = t.protocol === "tls" || t.protocol === "wss";
  return formatHostPort(t.bind ?? { host: "0.0.0.0", port: secure ? 5061 : 5060 });
}

/** The TOS byte a transport uses: bits below the DSCP field are dropped. */
export function transportTos(t: Transport): number {
  return tosValue(t.tos) & ~3;
}

export function transportParameters(t: Transport): Parameter[] {
  return [
    ["protocol", t.protocol],
    ["bind", transportAddress(t)],
    ["async_operations", num(t.async_operations)],
    ["ca_list_file", t.ca_list_file],
    ["ca_list_path", t.ca_list_path],
    ["cert_file", t.cert_file],
    ["priv_key_file", t.priv_key_file],
    ["password", t.password],
    ["external_signaling_address", t.external_signaling_address],
    ["external_signaling_port", num(t.external_signaling_port)],
    ["external_signaling_hostname", t.external_signaling_hostname],
    ["external_media_address", t.external_media_address],
    ["domain", t.domain],
    ["verify_server", capYesNo(t.verify_server)],
    ["verify_client", capYesNo(t.verify_client)],
    ["require_client_cert", capYesNo(t.require_client_cert)],
    ["allow_wildcard_certs", capYesNo(t.allow_wildcard_certs)],
    // pjproject's default TLS method is TLSv1.
    ["method", t.method === "default" ? "tlsv1" : t.method],
    ["tcp_keepalive_enable", trueFalse(t.tcp_keepalive_enable)],
    ["tcp_keepalive_idle_time", num(t.tcp_keepalive_idle_time)],
    ["tcp_keepalive_interval_time", num(t.tcp_keepalive_interval_time)],
    ["tcp_keepalive_probe_count", num(t.tcp_keepalive_probe_count)],
    ["cipher", t.cipher],
    ...rows("local_net", t.local_net.map((n) => `${n.address}/${netmaskText(n)}`)),
    ["tos", num(transportTos(t))],
    ["cos", num(t.cos)],
    ["websocket_write_timeout", num(t.websocket_write_timeout)],
    ["allow_reload", trueFalse(t.allow_reload)],
    ["symmetric_transport", trueFalse(t.symmetric_transport)],
  ];
}

export function identifyParameters(i: Identify): Parameter[] {
  return [
    ["endpoint", i.endpoint],
    ...rows("match", i.match.map((m) => `${matchAddress(m)}/${netmaskText(matchNetwork(m))}`)),
    ["match_header", i.match_header],
    ["match_request_uri", i.match_request_uri],
    ["srv_lookups", trueFalse(i.srv_lookups)],
  ];
}

/** The prefix length of an identify match (a host name counts as one address). */
export function matchPrefix(m: IdentifyMatch): number {
  return matchNetwork(m).prefix;
}

export function registrationParameters(r: Registration): Parameter[] {
  return [
    ["server_uri", r.server_uri],
    ["client_uri", r.client_uri],
    ["contact_user", r.contact_user],
    ["contact_header_params", r.contact_header_params],
    ["transport", r.transport],
    ["outbound_proxy", r.outbound_proxy],
    ["expiration", num(r.expiration)],
    ["max_random_initial_delay", num(r.max_random_initial_delay)],
    ["retry_interval", num(r.retry_interval)],
    ["forbidden_retry_interval", num(r.forbidden_retry_interval)],
    ["fatal_retry_interval", num(r.fatal_retry_interval)],
    ["max_retries", num(r.max_retries)],
    ["auth_rejection_permanent", trueFalse(r.auth_rejection_permanent)],
    ...rows("outbound_auth", r.outbound_auth),
    ["support_path", trueFalse(r.support_path)],
    ["support_outbound", yesNo(r.support_outbound)],
    ["security_negotiation", r.security_negotiation],
    ["security_mechanisms", r.security_mechanisms],
    ["line", trueFalse(r.line)],
    ["endpoint", r.endpoint],
    ["user_agent", r.user_agent],
  ];
}

/** A contact's options; its qualify settings are its aor's (copied when Asterisk creates it). */
export function contactParameters(c: ContactView, model: PjsipModel): Parameter[] {
  const aor = model.aors.get(c.aor);
  const setting = <K extends keyof typeof AOR_OPTIONS>(k: K) => (aor ? aor[k] : AOR_OPTIONS[k].initial) as Aor[K];
  return [
    ["uri", c.uri],
    ["path", c.path ?? ""],
    ["expiration_time", num(c.expiresAt === undefined ? 0 : Math.floor(c.expiresAt / 1e6))],
    ["qualify_frequency", num(setting("qualify_frequency"))],
    ["qualify_timeout", double(setting("qualify_timeout"))],
    ["qualify_2xx_only", trueFalse(setting("qualify_2xx_only"))],
    ["authenticate_qualify", yesNo(setting("authenticate_qualify"))],
    ["outbound_proxy", setting("outbound_proxy")],
    ["user_agent", c.userAgent ?? ""],
    ["endpoint", c.endpoint ?? ""],
    ["reg_server", ""],
    ["via_addr", c.viaAddr ?? ""],
    ["via_port", num(c.viaPort ?? 0)],
    ["call_id", c.callId ?? ""],
    ["prune_on_boot", "no"],
  ];
}
