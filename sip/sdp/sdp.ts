/**
 * SDP (RFC 4566) as data: parse the text a peer sent into a structure we can reason
 * about, and serialize our own. Unknown lines are kept (in order) so that a parsed
 * description serializes back without losing what we did not understand.
 */

export type SdpErrorCode = "malformed" | "no-audio" | "no-common-codec" | "unsupported";

/** Every SDP failure is one of these: `status` is the SIP response it maps to. */
export class SdpError extends Error {
  override readonly name = "SdpError";
  readonly status: 400 | 488;
  constructor(readonly code: SdpErrorCode, message: string) {
    super(message);
    // A bad body is the request's fault (400); a well-formed offer we cannot meet is 488.
    this.status = code === "malformed" ? 400 : 488;
  }
}

export interface SdpConnection { netType: string; addrType: string; address: string }
export interface SdpOrigin {
  username: string; sessionId: string; sessionVersion: string;
  netType: string; addrType: string; address: string;
}
export interface SdpAttribute { name: string; value?: string }
export interface SdpMedia {
  type: string; port: number; numPorts?: number; proto: string; formats: string[];
  info?: string;
  connection?: SdpConnection;
  bandwidths: string[];
  attributes: SdpAttribute[];
}
export interface SessionDescription {
  version: number;
  origin: SdpOrigin;
  sessionName: string;
  info?: string;
  connection?: SdpConnection;
  bandwidths: string[];
  /** t= lines as written ("0 0"); r=/z= lines ride along in `extra`. */
  timing: string[];
  attributes: SdpAttribute[];
  /** Session-level lines we keep verbatim (u=, e=, p=, r=, z=, k=) as "x=value". */
  extra: string[];
  media: SdpMedia[];
}

const MAX_SDP_BYTES = 65536;

function parseConnection(v: string, lineNo: number): SdpConnection {
  const p = v.split(" ");
  if (p.length < 3 || !p[0] || !p[1] || !p[2]) throw new SdpError("malformed", `line ${lineNo}: bad c= "${v}"`);
  // As pjmedia: a network type other than IN, or an address type other than IP4/IP6, is a bad request, not an offer to refuse.
  if (p[0] !== "IN") throw new SdpError("malformed", `line ${lineNo}: unknown network type "${p[0].slice(0, 20)}" in c=`);
  if (p[1] !== "IP4" && p[1] !== "IP6") throw new SdpError("malformed", `line ${lineNo}: unknown address type "${p[1].slice(0, 20)}" in c=`);
  // Multicast TTL/count suffixes ("/127") are not ours to use; keep only the host.
  return { netType: p[0], addrType: p[1], address: p[2].split("/")[0] };
}

function parseAttribute(v: string): SdpAttribute {
  const i = v.indexOf(":");
  return i < 0 ? { name: v } : { name: v.slice(0, i), value: v.slice(i + 1) };
}

/** Parse SDP text. Throws only SdpError. */
export function parseSdp(input: string | Uint8Array): SessionDescription {
  const text = typeof input === "string" ? input : Buffer.from(input).toString("latin1");
  if (text.length > MAX_SDP_BYTES) throw new SdpError("malformed", "SDP too large");
  const lines = text.split(/\r?\n/);
  // Blank lines (before v=, between lines, at the end) are skipped, as pjmedia does; so are LF-only line ends.
  if (lines.every((l) => l === "")) throw new SdpError("malformed", "empty SDP");
  const first = lines.findIndex((l) => l !== "");
  let origin: SdpOrigin | undefined;
  let version: number | undefined;
  let sessionName: string | undefined;
  const sd: Omit<SessionDescription, "origin" | "version" | "sessionName"> = {
    bandwidths: [], timing: [], attributes: [], extra: [], media: [],
  };
  let media: SdpMedia | undefined;
  lines.forEach((line, idx) => {
    const n = idx + 1;
    if (line === "") return;
    if (line.length < 2 || line[1] !== "=" || !/^[a-z]$/.test(line[0])) {
      throw new SdpError("malformed", `line ${n}: not "x=value": ${JSON.stringify(line.slice(0, 40))}`);
    }
    const k = line[0], v = line.slice(2);
    if (idx === first && k !== "v") throw new SdpError("malformed", "SDP must start with v=");
    switch (k) {
      case "v":
        if (v !== "0") throw new SdpError("malformed", `unsupported SDP version ${v}`);
        version = 0;
        return;
      case "o": {
        const p = v.split(" ");
        if (p.length !== 6 || p.some((x) => x === "")) throw new SdpError("malformed", `line ${n}: bad o=`);
        origin = { username: p[0], sessionId: p[1], sessionVersion: p[2], netType: p[3], addrType: p[4], address: p[5] };
        return;
      }
      case "s": sessionName = v; return;
      case "m": {
        const p = v.split(" ");
        const ports = /^(\d+)(?:\/(\d+))?$/.exec(p[1] ?? "");
        if (p.length < 4 || !p[0] || !ports || !p[2]) throw new SdpError("malformed", `line ${n}: bad m= "${v}"`);
        const port = Number(ports[1]);
        if (port > 65535) throw new SdpError("malformed", `line ${n}: port out of range`);
        media = {
          type: p[0], port, proto: p[2], formats: p.slice(3).filter((f) => f !== ""),
          bandwidths: [], attributes: [],
          ...(ports[2] ? { numPorts: Number(ports[2]) } : {}),
        };
        sd.media.push(media);
        return;
      }
      case "c": (media ?? sd).connection = parseConnection(v, n); return;
      case "b": (media ?? sd).bandwidths.push(v); return;
      case "a": (media ?? sd).attributes.push(parseAttribute(v)); return;
      case "i": (media ?? sd).info = v; return;
      case "t": if (!media) sd.timing.push(v); return;
      default: if (!media) sd.extra.push(line); return; // u e p r z k: carried, not interpreted
    }
  });
  if (version === undefined || !origin || sessionName === undefined) {
    throw new SdpError("malformed", "SDP lacks one of v=, o=, s=");
  }
  for (const m of sd.media) {
    if (!m.connection && !sd.connection && m.port !== 0) throw new SdpError("malformed", `m=${m.type} has no c= line`);
  }
  return { version, origin, sessionName, ...sd };
}

function attrLine(a: SdpAttribute): string {
  return a.value === undefined ? `a=${a.name}` : `a=${a.name}:${a.value}`;
}

/** Serialize with CRLF line ends, in RFC 4566 order. */
export function serializeSdp(sd: SessionDescription): string {
  const out: string[] = [];
  const o = sd.origin;
  out.push(`v=${sd.version}`, `o=${o.username} ${o.sessionId} ${o.sessionVersion} ${o.netType} ${o.addrType} ${o.address}`);
  out.push(`s=${sd.sessionName || "-"}`);
  if (sd.info !== undefined) out.push(`i=${sd.info}`);
  for (const e of sd.extra.filter((l) => /^[uep]=/.test(l))) out.push(e);
  if (sd.connection) out.push(`c=${sd.connection.netType} ${sd.connection.addrType} ${sd.connection.address}`);
  for (const b of sd.bandwidths) out.push(`b=${b}`);
  for (const t of sd.timing.length ? sd.timing : ["0 0"]) out.push(`t=${t}`);
  for (const e of sd.extra.filter((l) => !/^[uep]=/.test(l))) out.push(e);
  for (const a of sd.attributes) out.push(attrLine(a));
  for (const m of sd.media) {
    out.push(`m=${m.type} ${m.port}${m.numPorts ? `/${m.numPorts}` : ""} ${m.proto} ${m.formats.join(" ")}`);
    if (m.info !== undefined) out.push(`i=${m.info}`);
    if (m.connection) out.push(`c=${m.connection.netType} ${m.connection.addrType} ${m.connection.address}`);
    for (const b of m.bandwidths) out.push(`b=${b}`);
    for (const a of m.attributes) out.push(attrLine(a));
  }
  return out.join("\r\n") + "\r\n";
}
