/**
 * Header names: case-insensitive, with compact one-letter forms (RFC 3261 §7.3.3 and
 * extensions). Every name is reduced to a lowercase `key` for comparison and a
 * canonical spelling for output; unknown names keep the spelling they arrived with.
 */

/** How a header's comma-separated values are handled. */
export const enum ListKind {
  /** One value per field (Call-ID, CSeq, Authorization: commas belong to the value). */
  Single = 0,
  /** Address lists, split at parse so that each field holds one value (Via, Contact, Route...). */
  Address = 1,
  /** Token and other lists, kept as received and split on read by `getAll`. */
  Other = 2,
}

/** Headers the parser itself checks (a number, to switch on cheaply). */
export const enum Role {
  None = 0, Via, ContentLength, From, To, CallId, CSeq,
}

export interface HeaderName {
  /** Lowercase canonical name, used for every comparison. */
  readonly key: string;
  /** Spelling used when the message is written. */
  readonly name: string;
  readonly list: ListKind;
  readonly role: Role;
}

const ROLES: Record<string, Role> = {
  via: Role.Via, "content-length": Role.ContentLength, from: Role.From, to: Role.To, "call-id": Role.CallId, cseq: Role.CSeq,
};

const KNOWN = new Map<string, HeaderName>();

function define(name: string, list: ListKind = ListKind.Single, compact?: string): void {
  const key = name.toLowerCase();
  const entry: HeaderName = { key, name, list, role: ROLES[key] ?? Role.None };
  for (const spelling of [name, entry.key, name.toUpperCase()]) KNOWN.set(spelling, entry);
  if (compact) {
    KNOWN.set(compact, entry);
    KNOWN.set(compact.toUpperCase(), entry);
  }
}

const A = ListKind.Address, O = ListKind.Other;
define("Accept", O);
define("Accept-Contact", O, "a");
define("Accept-Encoding", O);
define("Accept-Language", O);
define("Alert-Info", O);
define("Allow", O);
define("Allow-Events", O, "u");
define("Authentication-Info");
define("Authorization");
define("Call-ID", undefined, "i");
define("Call-Info", O);
define("Contact", A, "m");
define("Content-Disposition");
define("Content-Encoding", O, "e");
define("Content-Language", O);
define("Content-Length", undefined, "l");
define("Content-Type", undefined, "c");
define("CSeq");
define("Date");
define("Error-Info", O);
define("Event", undefined, "o");
define("Expires");
define("From", undefined, "f");
define("History-Info", O);
define("Identity", undefined, "y");
define("In-Reply-To", O);
define("Max-Forwards");
define("MIME-Version");
define("Min-Expires");
define("Min-SE");
define("Organization");
define("P-Asserted-Identity", A);
define("P-Preferred-Identity", A);
define("Path", A);
define("Priority");
define("Privacy");
define("Proxy-Authenticate");
define("Proxy-Authorization");
define("Proxy-Require", O);
define("RAck");
define("Reason", O);
define("Record-Route", A);
define("Refer-To", undefined, "r");
define("Referred-By", undefined, "b");
define("Reject-Contact", O, "j");
define("Remote-Party-ID", A);
define("Replaces");
define("Reply-To");
define("Request-Disposition", O, "d");
define("Require", O);
define("Retry-After");
define("Route", A);
define("RSeq");
define("Security-Client", O);
define("Security-Server", O);
define("Security-Verify", O);
define("Server");
define("Service-Route", A);
define("Session-Expires", undefined, "x");
define("Subject", undefined, "s");
define("Subscription-State");
define("Supported", O, "k");
define("Timestamp");
define("To", undefined, "t");
define("Unsupported", O);
define("User-Agent");
define("Via", A, "v");
define("Warning", O);
define("WWW-Authenticate");

/** Name information for a header as written by a peer or by our code; `undefined` for an unknown name. */
export function knownHeader(name: string): HeaderName | undefined {
  return KNOWN.get(name) ?? KNOWN.get(name.toLowerCase());
}

/** The lowercase comparison key of any header name (`i` and `CALL-ID` both give `call-id`). */
export function headerKey(name: string): string {
  return knownHeader(name)?.key ?? name.toLowerCase();
}

/** The canonical spelling of a header name (`i` → `Call-ID`); unknown names are returned unchanged. */
export function canonicalHeaderName(name: string): string {
  return knownHeader(name)?.name ?? name;
}

/** How the values of a header (by key) are split. */
export function listKind(key: string): ListKind {
  return KNOWN.get(key)?.list ?? ListKind.Single;
}

/** Known names indexed by length and folded first letter, for lookups straight from the wire text. */
const MAX_INDEXED = 32;
const BY_SHAPE: HeaderName[][] = Array.from({ length: (MAX_INDEXED + 1) * 32 }, () => []);
const COMPACT: Array<HeaderName | undefined> = new Array(128).fill(undefined);
for (const [spelling, entry] of KNOWN) {
  if (spelling.length === 1) COMPACT[spelling.toLowerCase().charCodeAt(0)] = entry;
  else if (spelling === entry.key && spelling.length <= MAX_INDEXED) BY_SHAPE[spelling.length * 32 + (spelling.charCodeAt(0) & 31)].push(entry);
}

/**
 * The known header whose name is `s.slice(start, end)`, compared case-insensitively,
 * without allocating; undefined for an unknown name.
 */
export function lookupHeader(s: string, start: number, end: number): HeaderName | undefined {
  const len = end - start;
  if (len === 1) {
    const c = s.charCodeAt(start) | 0x20;
    return c < 128 ? COMPACT[c] : undefined;
  }
  if (len > MAX_INDEXED || len < 1) return undefined;
  const candidates = BY_SHAPE[len * 32 + (s.charCodeAt(start) & 31)];
  outer: for (let b = 0; b < candidates.length; b++) {
    const key = candidates[b].key;
    for (let i = 0; i < len; i++) {
      const k = key.charCodeAt(i);
      const c = s.charCodeAt(start + i);
      // Fold case for letters only: other characters must match exactly.
      if (c !== k && !((c | 0x20) === k && k >= 0x61 && k <= 0x7a)) continue outer;
    }
    return candidates[b];
  }
  return undefined;
}
