/**
 * The PJSIP configuration wizard (res_pjsip_config_wizard): one `type = wizard` section
 * of pjsip_wizard.conf stands for the endpoint, aor, auths, identify, registrations and
 * phoneprov it implies. expandWizard returns those objects as sections, which then load
 * like any pjsip.conf section. Names and rules follow Asterisk:
 *
 * - endpoint and aor `<name>`; `endpoint/...` and `aor/...` options pass through;
 *   the endpoint gets `aors = <name>`, `transport`, `outbound_proxy`, and `outbound_auth`/`auth`.
 * - `sends_auth` → auth `<name>-oauth` from `outbound_auth/...`; `accepts_auth` → `<name>-iauth`
 *   from `inbound_auth/...`; each needs a username; `auth_type` defaults to userpass.
 * - a contact per remote host on the aor (`contact_pattern`, default `sip:${REMOTE_HOST}`)
 *   unless `aor/contact` is given or the wizard accepts registrations.
 * - unless it accepts registrations (or sends line with them): identify `<name>-identify`
 *   matching every remote host.
 * - `sends_registrations` → registration `<name>-reg-<n>` per remote host, n from 0, with
 *   `server_uri_pattern` (default `sip:${REMOTE_HOST}`) and `client_uri_pattern` (default
 *   `sip:${USERNAME}@${REMOTE_HOST}`), USERNAME being `outbound_auth/username` when it sends
 *   auth, else the wizard's name.
 * - `has_phoneprov` → phoneprov `<name>-phoneprov` (needs phoneprov/MAC and phoneprov/PROFILE).
 * - `has_hint` with `hint_exten` → a hint `PJSIP/<name>` in `hint_context` (default: the
 *   endpoint's context, else `default`) and priority 1 running `hint_application`.
 */
import type { ConfEntry, ConfSection } from "../../conf/tokenizer.js";
import type { PjsipDiagnostic, WizardHint } from "./model.js";
import type { ModelledType } from "./schema.js";
import { parseBool, splitList } from "./values.js";

/** An object a wizard makes: a modelled type, or phoneprov (kept as written). */
export interface WizardObject {
  readonly type: ModelledType | "phoneprov";
  readonly name: string;
  readonly wizard: string;
  readonly file: string;
  readonly line: number;
  readonly entries: readonly ConfEntry[];
}

export interface WizardExpansion {
  readonly objects: readonly WizardObject[];
  readonly hints: readonly WizardHint[];
  readonly errors: readonly PjsipDiagnostic[];
  readonly warnings: readonly PjsipDiagnostic[];
}

const FLAGS = [
  "sends_auth", "accepts_auth", "sends_registrations", "sends_line_with_registrations",
  "accepts_registrations", "has_phoneprov", "has_hint",
] as const;
const SETTINGS = [
  "type", "remote_hosts", "outbound_proxy", "transport", "server_uri_pattern", "client_uri_pattern",
  "contact_pattern", "hint_context", "hint_exten", "hint_application",
] as const;
const PREFIXES = ["endpoint/", "aor/", "inbound_auth/", "outbound_auth/", "identify/", "registration/", "phoneprov/"] as const;

/** Expand one wizard section (templates already applied). */
export function expandWizard(section: ConfSection): WizardExpansion {
  const name = section.name;
  const entries = section.entries;
  const objects: WizardObject[] = [];
  const hints: WizardHint[] = [];
  const errors: PjsipDiagnostic[] = [];
  const warnings: PjsipDiagnostic[] = [];

  const last = (key: string): ConfEntry | undefined => entries.findLast((e) => e.key === key);
  const at = (key: string) => last(key) ?? section;
  const diag = (pos: { file: string; line: number }, type: string, objectName: string, reason: string): PjsipDiagnostic =>
    ({ file: pos.file, line: pos.line, reason: `wizard '${name}': ${reason}`, objectType: type, objectName });
  /** An object the wizard cannot make: an error; the wizard's other objects are still made. */
  const fail = (pos: { file: string; line: number }, type: string, objectName: string, reason: string): void => {
    errors.push(diag(pos, type, objectName, `no ${type} '${objectName}': ${reason}`));
  };
  const isTrue = (key: (typeof FLAGS)[number]): boolean => {
    const e = last(key);
    if (!e) return false;
    try {
      return parseBool(e.value);
    } catch {
      warnings.push(diag(e, "wizard", name, `${key} '${e.value}' is not yes or no; taken as no`));
      return false;
    }
  };
  /** `prefix/option` entries as `option` entries, in order. */
  const prefixed = (prefix: string): ConfEntry[] =>
    entries.filter((e) => e.key.startsWith(prefix) && e.key.length > prefix.length).map((e) => ({ ...e, key: e.key.slice(prefix.length) }));
  const make = (pos: { file: string; line: number }, key: string, value: string): ConfEntry => ({ file: pos.file, line: pos.line, key, value, op: "=" });
  const add = (type: WizardObject["type"], objectName: string, list: ConfEntry[]): void => {
    objects.push({ type, name: objectName, wizard: name, file: section.file, line: section.line, entries: list });
  };

  for (const e of entries) {
    const known = (FLAGS as readonly string[]).includes(e.key) || (SETTINGS as readonly string[]).includes(e.key)
      || PREFIXES.some((p) => e.key.startsWith(p) && e.key.length > p.length);
    if (!known) warnings.push(diag(e, "wizard", name, `unknown wizard option '${e.key}' ignored`));
  }

  const hosts = splitList(last("remote_hosts")?.value ?? "");
  const outboundProxy = last("outbound_proxy")?.value ?? "";
  const transport = last("transport")?.value ?? "";
  const sendsAuth = isTrue("sends_auth");
  const acceptsAuth = isTrue("accepts_auth");
  const acceptsRegistrations = isTrue("accepts_registrations");
  const sendsLine = isTrue("sends_line_with_registrations");

  // Auths: outbound first, then inbound (Asterisk's order).
  for (const [flag, dir, suffix] of [[sendsAuth, "outbound", "oauth"], [acceptsAuth, "inbound", "iauth"]] as const) {
    if (!flag) continue;
    const authName = `${name}-${suffix}`;
    const vars = prefixed(`${dir}_auth/`);
    if (!vars.some((v) => v.key === "username")) {
      fail(at(dir === "outbound" ? "sends_auth" : "accepts_auth"), "auth", authName,
        `needs '${dir}_auth/username' because it ${dir === "outbound" ? "sends_auth" : "accepts_auth"}`);
      continue;
    }
    if (!vars.some((v) => v.key === "auth_type")) vars.push(make(section, "auth_type", "userpass"));
    add("auth", authName, vars);
  }

  // The aor, with a contact per remote host.
  const aorVars = prefixed("aor/");
  if (outboundProxy !== "") aorVars.push(make(at("outbound_proxy"), "outbound_proxy", outboundProxy));
  if (!aorVars.some((v) => v.key === "contact") && hosts.length > 0) {
    if (acceptsRegistrations) {
      warnings.push(diag(at("remote_hosts"), "aor", name, "remote_hosts must not be set when it accepts_registrations; no contacts added to the aor"));
    } else {
      const pattern = last("contact_pattern")?.value ?? "sip:${REMOTE_HOST}";
      if (pattern !== "") {
        for (const host of hosts) aorVars.push(make(at("remote_hosts"), "contact", substitute(pattern, { REMOTE_HOST: host })));
      }
    }
  }
  add("aor", name, aorVars);

  // The endpoint.
  const endpointVars = prefixed("endpoint/");
  endpointVars.push(make(section, "aors", name));
  if (outboundProxy !== "") endpointVars.push(make(at("outbound_proxy"), "outbound_proxy", outboundProxy));
  if (transport !== "") endpointVars.push(make(at("transport"), "transport", transport));
  if (sendsAuth) endpointVars.push(make(at("sends_auth"), "outbound_auth", `${name}-oauth`));
  if (acceptsAuth) endpointVars.push(make(at("accepts_auth"), "auth", `${name}-iauth`));
  add("endpoint", name, endpointVars);

  const hintExten = last("hint_exten")?.value ?? "";
  if (isTrue("has_hint")) {
    if (hintExten === "") {
      warnings.push(diag(at("has_hint"), "wizard", name, "has_hint = yes needs hint_exten; no hint added"));
    } else {
      const context = nonEmpty(last("hint_context")?.value) ?? nonEmpty(endpointVars.findLast((v) => v.key === "context")?.value) ?? "default";
      const pos = at("hint_exten");
      hints.push({
        wizard: name, context, exten: hintExten, device: `PJSIP/${name}`,
        application: last("hint_application")?.value ?? "", source: { file: pos.file, line: pos.line },
      });
    }
  }

  // The identify, unless the far end registers to us.
  if (!acceptsRegistrations && !sendsLine) {
    const identifyName = `${name}-identify`;
    if (hosts.length === 0) {
      fail(at("accepts_registrations"), "identify", identifyName, "needs 'remote_hosts' because it does not accept registrations");
    } else {
      const vars = prefixed("identify/");
      vars.push(make(section, "endpoint", name));
      if (!vars.some((v) => v.key === "match")) for (const host of hosts) vars.push(make(at("remote_hosts"), "match", host));
      add("identify", identifyName, vars);
    }
  }

  // Outbound registrations, one per remote host.
  if (isTrue("sends_registrations")) {
    const username = sendsAuth ? last("outbound_auth/username")?.value : name;
    if (hosts.length === 0) {
      fail(at("sends_registrations"), "registration", `${name}-reg-0`, "needs 'remote_hosts' because it sends_registrations");
    } else if (username === undefined) {
      fail(at("sends_auth"), "registration", `${name}-reg-0`, "needs 'outbound_auth/username' because it sends_auth");
    } else {
      const serverPattern = last("server_uri_pattern")?.value ?? "sip:${REMOTE_HOST}";
      const clientPattern = last("client_uri_pattern")?.value ?? "sip:${USERNAME}@${REMOTE_HOST}";
      hosts.forEach((host, n) => {
        const vars = prefixed("registration/");
        if (outboundProxy !== "") vars.push(make(at("outbound_proxy"), "outbound_proxy", outboundProxy));
        const values = { REMOTE_HOST: host, USERNAME: username };
        if (serverPattern !== "") vars.push(make(at("server_uri_pattern"), "server_uri", substitute(serverPattern, values)));
        if (clientPattern !== "") vars.push(make(at("client_uri_pattern"), "client_uri", substitute(clientPattern, values)));
        if (sendsAuth) vars.push(make(at("sends_auth"), "outbound_auth", `${name}-oauth`));
        if (transport !== "") vars.push(make(at("transport"), "transport", transport));
        if (sendsLine) vars.push(make(at("sends_line_with_registrations"), "line", "yes"), make(section, "endpoint", name));
        add("registration", `${name}-reg-${n}`, vars);
      });
    }
  }

  if (isTrue("has_phoneprov")) {
    const phoneprovName = `${name}-phoneprov`;
    const vars = prefixed("phoneprov/");
    const missing = ["MAC", "PROFILE"].filter((k) => !vars.some((v) => v.key === k));
    if (missing.length > 0) {
      fail(at("has_phoneprov"), "phoneprov", phoneprovName, `needs ${missing.map((k) => `'phoneprov/${k}'`).join(" and ")} because it has_phoneprov`);
    } else {
      vars.push(make(section, "endpoint", name));
      add("phoneprov", phoneprovName, vars);
    }
  }

  return { objects, hints, errors, warnings };
}

/** `${NAME}` replaced by its value; an unknown name becomes empty, as in Asterisk. */
function substitute(pattern: string, values: Readonly<Record<string, string>>): string {
  return pattern.replace(/\$\{([^}]*)\}/g, (_, key: string) => values[key] ?? "");
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s === "" ? undefined : s;
}
