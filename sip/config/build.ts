/**
 * One section (after templates, or made by a wizard) → one typed object. Every option is
 * looked up in the type's table and applied in file order; an unknown option or a bad
 * value is an error at its line, and then the checks Asterisk makes when it applies the
 * object (auth needs a username, a registration its URIs...) run. An object with any
 * error is not built: as in Asterisk, it fails to load and the others load.
 */
import type { ConfEntry } from "../../conf/tokenizer.js";
import type { PjsipDiagnostic } from "./model.js";
import { type DigestAlgorithm, type ModelledType, OPTION_TABLES } from "./schema.js";
import { type SpecTable, ValueError, parseBool, splitList } from "./values.js";

export interface SectionInput {
  readonly type: ModelledType;
  readonly name: string;
  readonly file: string;
  readonly line: number;
  readonly wizard?: string;
  /** The options, `type` excluded, in the order they apply. */
  readonly entries: readonly ConfEntry[];
}

export interface BuildResult {
  /** The object's fields (no type/name/position), absent when the object failed. */
  readonly fields?: Record<string, unknown>;
  readonly errors: PjsipDiagnostic[];
  readonly warnings: PjsipDiagnostic[];
}

export function describe(input: { type: string; name: string; wizard?: string }): string {
  return `${input.type} '${input.name}'${input.wizard !== undefined && input.wizard !== input.name ? ` (from wizard '${input.wizard}')` : ""}`;
}

export function buildFields(input: SectionInput): BuildResult {
  const table: SpecTable = OPTION_TABLES[input.type];
  const errors: PjsipDiagnostic[] = [];
  const warnings: PjsipDiagnostic[] = [];
  const diag = (at: { file: string; line: number }, reason: string): PjsipDiagnostic =>
    ({ file: at.file, line: at.line, reason: `${describe(input)}: ${reason}`, objectType: input.type, objectName: input.name });

  const fields: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(table)) {
    const field = spec.field ?? key;
    if (!(field in fields)) fields[field] = spec.initial;
  }
  for (const entry of expandAliases(input.type, input.entries, (e, reason) => warnings.push(diag(e, reason)), (e, reason) => errors.push(diag(e, reason)))) {
    const key = entry.key.toLowerCase();
    const spec = Object.hasOwn(table, key) ? table[key] : undefined;
    if (!spec) {
      errors.push(diag(entry, `unknown option '${entry.key}'${otherOwners(input.type, key)}`));
      continue;
    }
    const field = spec.field ?? key;
    try {
      fields[field] = spec.apply(entry.value, fields[field]);
    } catch (err) {
      if (!(err instanceof ValueError)) throw err;
      errors.push(diag(entry, `bad ${entry.key} '${entry.value}': ${err.message}`));
    }
  }
  if (errors.length === 0) {
    for (const reason of CHECKS[input.type]?.(fields) ?? []) errors.push(diag(input, reason));
  }
  return errors.length === 0 ? { fields, errors, warnings } : { errors, warnings };
}

/** " (an option of aor, registration)" when the option belongs to other types: the usual mix-up. */
function otherOwners(type: string, key: string): string {
  const owners = Object.entries(OPTION_TABLES).filter(([t, table]) => t !== type && Object.hasOwn(table, key)).map(([t]) => t);
  return owners.length === 0 ? "" : ` (an option of ${owners.join(", ")})`;
}

/**
 * chan_sip's `directmedia` (yes, no, nonat, update, outgoing, or a comma list of them) is
 * accepted on endpoints and read as the res_pjsip options it stands for.
 */
function expandAliases(
  type: ModelledType, entries: readonly ConfEntry[],
  warn: (e: ConfEntry, reason: string) => void, fail: (e: ConfEntry, reason: string) => void,
): ConfEntry[] {
  if (type !== "endpoint") return [...entries];
  const out: ConfEntry[] = [];
  for (const e of entries) {
    if (e.key.toLowerCase() !== "directmedia") {
      out.push(e);
      continue;
    }
    const set: Record<string, string> = {};
    for (const word of splitList(e.value.toLowerCase())) {
      if (word === "nonat") Object.assign(set, { direct_media: "yes", disable_direct_media_on_nat: "yes" });
      else if (word === "update") Object.assign(set, { direct_media: "yes", direct_media_method: "update" });
      else if (word === "outgoing") Object.assign(set, { direct_media: "yes", direct_media_glare_mitigation: "outgoing" });
      else {
        try {
          set.direct_media = parseBool(word) ? "yes" : "no";
        } catch {
          fail(e, `bad directmedia '${e.value}': '${word}' is not one of yes, no, nonat, update, outgoing`);
          return out;
        }
      }
    }
    const expanded = Object.entries(set).map(([key, value]) => ({ ...e, key, value }));
    warn(e, `'directmedia = ${e.value}' is chan_sip's spelling; read as ${expanded.map((x) => `${x.key} = ${x.value}`).join(", ")}`);
    out.push(...expanded);
  }
  return out;
}

type Check = (f: Record<string, unknown>) => string[];

const DEFAULT_PORT: Record<string, number> = { udp: 5060, tcp: 5060, ws: 5060, tls: 5061, wss: 5061 };

/**
 * The checks Asterisk makes when it applies an object (its *_apply handlers): each returns
 * the reasons the object cannot load. The transport check also fills in the default port.
 */
const CHECKS: Partial<Record<ModelledType, Check>> = {
  endpoint(f) {
    const out: string[] = [];
    const [minSe, sessExpires] = [f.timers_min_se as number, f.timers_sess_expires as number];
    if (minSe < 90) out.push(`timers_min_se must be 90 or more (is ${minSe})`);
    else if (sessExpires < minSe) out.push(`timers_sess_expires (${sessExpires}) must not be less than timers_min_se (${minSe})`);
    const [start, end] = [f.rtp_port_start as number, f.rtp_port_end as number];
    if (start || end) {
      if (!start || !end) out.push("rtp_port_start and rtp_port_end must be set together");
      else if (start < 1024 || end < 1024) out.push("rtp_port_start and rtp_port_end must be at least 1024");
      else if (end <= start) out.push(`rtp_port_end (${end}) must be greater than rtp_port_start (${start})`);
    }
    return out;
  },
  auth(f) {
    if (f.username === "") return ["no username"];
    if (f.auth_type === "google_oauth") {
      return f.refresh_token === "" || f.oauth_clientid === "" || f.oauth_secret === ""
        ? ["auth_type google_oauth needs refresh_token, oauth_clientid and oauth_secret"] : [];
    }
    // Every algorithm it may use needs the plain password or that algorithm's digest.
    const digests = (f.password_digest as readonly { algorithm: DigestAlgorithm }[]).map((d) => d.algorithm);
    const wanted = new Set<DigestAlgorithm>([
      ...orMd5(f.supported_algorithms_uas as readonly DigestAlgorithm[]),
      ...orMd5(f.supported_algorithms_uac as readonly DigestAlgorithm[]),
    ]);
    if (f.password !== "") return [];
    const missing = [...wanted].filter((a) => !digests.includes(a));
    return missing.length === 0 ? [] : [`no password and no password_digest for ${missing.join(", ")}`];
  },
  transport(f) {
    const protocol = f.protocol as string;
    const bind = f.bind as { host: string; port?: number } | undefined;
    if (!bind) return protocol === "udp" || protocol === "tcp" || protocol === "tls" ? ["no bind address"] : [];
    if (bind.port === undefined) f.bind = { host: bind.host, port: DEFAULT_PORT[protocol] ?? 5060 };
    return [];
  },
  registration(f) {
    if (f.server_uri === "") return ["no server_uri"];
    if (f.client_uri === "") return ["no client_uri"];
    if (f.line && f.endpoint === "") return ["line = yes needs endpoint"];
    if (!f.line && f.endpoint !== "") return ["endpoint is set but line is not yes"];
    return [];
  },
  identify(f) {
    if (f.endpoint === "") return ["no endpoint"];
    const header = f.match_header as string;
    if ((f.match as unknown[]).length === 0 && header === "" && f.match_request_uri === "") return ["nothing to match (match, match_header or match_request_uri)"];
    if (header !== "" && (header.indexOf(":") <= 0)) return [`match_header '${header}' is not 'Header: value'`];
    return [];
  },
};

function orMd5(list: readonly DigestAlgorithm[]): readonly DigestAlgorithm[] {
  return list.length === 0 ? ["MD5"] : list;
}
