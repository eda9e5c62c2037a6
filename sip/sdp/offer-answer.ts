/**
 * SDP offer/answer (RFC 3264) for one audio stream, the way an Asterisk endpoint's
 * allow= order drives it: we answer with the codecs both sides have, in the endpoint's
 * order (the first is what we send), echo the peer's telephone-event payload type,
 * and reject every other stream with port 0. Media stays anchored in Recall, so the
 * address in our SDP is always our own RTP socket.
 */
import { SdpError, parseSdp, serializeSdp, type SdpAttribute, type SdpMedia, type SessionDescription } from "./sdp.js";

export type Direction = "sendrecv" | "sendonly" | "recvonly" | "inactive";

interface CodecDef { readonly encoding: string; readonly rate: number; readonly staticPt?: number; readonly dynamicPt: number }

/** Asterisk codec names → RTP encodings. Dynamic PTs are the ones we pick when we offer. */
export const CODECS: Readonly<Record<string, CodecDef>> = {
  ulaw: { encoding: "PCMU", rate: 8000, staticPt: 0, dynamicPt: 0 },
  alaw: { encoding: "PCMA", rate: 8000, staticPt: 8, dynamicPt: 8 },
  gsm: { encoding: "GSM", rate: 8000, staticPt: 3, dynamicPt: 3 },
  g722: { encoding: "G722", rate: 8000, staticPt: 9, dynamicPt: 9 },
  slin: { encoding: "L16", rate: 8000, dynamicPt: 118 },
};
const TELEPHONE_EVENT_PT = 101;

/** What the media side needs to know about the far end, from SDP. */
export interface RemoteMedia {
  address: string;
  port: number;
  rtcpPort: number;
  /** Codec we send, and the payload type to send it with. */
  codec: string;
  payloadType: number;
  /** Every payload type the far end may send us, mapped to our codec names. */
  payloadTypes: Record<number, string>;
  /** RFC 4733 payload type both sides agreed on, if any. */
  telephoneEvent?: number;
  /** Packetisation time the peer asked for (ms), 20 when unsaid. */
  ptime: number;
  /** Direction from our point of view is the mirror of this: it is the peer's. */
  direction: Direction;
}

export interface LocalMedia {
  /** The endpoint's allow= list in order (ulaw, alaw, slin...). "telephone-event"/"dtmf" entries are ignored here. */
  codecs: readonly string[];
  address: string;
  port: number;
  /** Offer/answer RFC 4733 DTMF (dtmf_mode=rfc4733). Default true. */
  dtmf?: boolean;
  sessionId?: string | number;
  sessionVersion?: string | number;
  ptime?: number;
  direction?: Direction;
  /** o= user name and s= line: the endpoint's `sdp_owner` and `sdp_session` (Asterisk's defaults: "-" and "Asterisk"). */
  owner?: string;
  sessionName?: string;
}

function checkCodecs(codecs: readonly string[]): string[] {
  const out = codecs.filter((c) => c !== "telephone-event" && c !== "dtmf");
  for (const c of out) if (!CODECS[c]) throw new SdpError("unsupported", `unknown codec "${c}"`);
  if (!out.length) throw new SdpError("unsupported", "no codecs allowed");
  return out;
}

function addrType(address: string): string { return address.includes(":") ? "IP6" : "IP4"; }

function attr(m: SdpMedia, name: string): string | undefined {
  return m.attributes.find((a) => a.name === name)?.value;
}

/** pt → "encoding/rate" for every format of a media line (static PTs implied). */
function rtpmaps(m: SdpMedia): Map<number, { encoding: string; rate: number; fmtp?: string }> {
  const out = new Map<number, { encoding: string; rate: number; fmtp?: string }>();
  for (const f of m.formats) {
    const pt = Number(f);
    if (!Number.isInteger(pt) || pt < 0 || pt > 127) continue;
    const stat = Object.values(CODECS).find((c) => c.staticPt === pt);
    if (stat) out.set(pt, { encoding: stat.encoding, rate: stat.rate });
  }
  for (const a of m.attributes) {
    if (a.name === "rtpmap" && a.value) {
      const r = /^(\d+)\s+([^/\s]+)\/(\d+)/.exec(a.value);
      if (r && m.formats.includes(r[1])) out.set(Number(r[1]), { encoding: r[2], rate: Number(r[3]) });
    }
  }
  for (const a of m.attributes) {
    if (a.name === "fmtp" && a.value) {
      const r = /^(\d+)\s+(.*)$/.exec(a.value);
      const e = r && out.get(Number(r[1]));
      if (e) e.fmtp = r[2];
    }
  }
  return out;
}

function codecNameFor(e: { encoding: string; rate: number }): string | undefined {
  for (const [name, c] of Object.entries(CODECS)) {
    if (c.encoding.toLowerCase() === e.encoding.toLowerCase() && c.rate === e.rate) return name;
  }
  return undefined;
}

function directionOf(sd: SessionDescription, m: SdpMedia): Direction {
  for (const list of [m.attributes, sd.attributes]) {
    for (const a of list) if (a.name === "sendrecv" || a.name === "sendonly" || a.name === "recvonly" || a.name === "inactive") return a.name;
  }
  return "sendrecv";
}

/**
 * Whether an offer puts the call on hold, as res_pjsip_sdp_rtp judges it: its audio
 * stream is sendonly or inactive, or its connection address is 0.0.0.0 (RFC 2543 hold).
 * Undefined when the SDP cannot be read or has no audio stream (nothing to judge).
 */
export function isHoldOffer(input: string | Uint8Array): boolean | undefined {
  let sd: SessionDescription;
  try { sd = parseSdp(input); } catch { return undefined; }
  const m = sd.media.find((x) => x.type === "audio" && x.port !== 0);
  if (!m) return undefined;
  const c = m.connection ?? sd.connection;
  if (c && (c.address === "0.0.0.0" || c.address === "::")) return true;
  const d = directionOf(sd, m);
  return d === "sendonly" || d === "inactive";
}

function mirror(d: Direction): Direction {
  return d === "sendonly" ? "recvonly" : d === "recvonly" ? "sendonly" : d;
}

function firstAudio(sd: SessionDescription): SdpMedia {
  const m = sd.media.find((x) => x.type === "audio" && x.port !== 0 && /^(RTP\/AVP|RTP\/AVPF)$/.test(x.proto));
  if (!m) throw new SdpError("no-audio", "no usable RTP/AVP audio stream");
  return m;
}

/**
 * The far end's media from its SDP (an offer it sent, or its answer to ours). `prefer`
 * orders the codec choice: ours when we answer, the peer's own when it answered us.
 */
export function remoteMedia(input: string | Uint8Array | SessionDescription, ours: readonly string[], prefer: "ours" | "theirs" = "theirs"): RemoteMedia {
  const sd = typeof input === "object" && "media" in input ? input : parseSdp(input);
  const allowed = checkCodecs(ours);
  const m = firstAudio(sd);
  const conn = m.connection ?? sd.connection;
  if (!conn) throw new SdpError("malformed", "audio stream has no connection address");
  const maps = rtpmaps(m);
  const payloadTypes: Record<number, string> = {};
  let telephoneEvent: number | undefined;
  const theirOrder: { pt: number; name: string }[] = [];
  for (const f of m.formats) {
    const pt = Number(f), e = maps.get(pt);
    if (!e) continue;
    if (e.encoding.toLowerCase() === "telephone-event" && e.rate === 8000) { telephoneEvent ??= pt; continue; }
    const name = codecNameFor(e);
    if (name && allowed.includes(name)) { payloadTypes[pt] = name; theirOrder.push({ pt, name }); }
  }
  if (!theirOrder.length) throw new SdpError("no-common-codec", `no common codec (ours: ${allowed.join(",")}; offered: ${m.formats.join(" ")})`);
  const chosen = prefer === "theirs"
    ? theirOrder[0]
    : allowed.map((n) => theirOrder.find((t) => t.name === n)).find((t) => t !== undefined)!;
  const rtcpAttr = attr(m, "rtcp");
  const rtcpPort = rtcpAttr && /^\d+/.test(rtcpAttr) ? Number(/^\d+/.exec(rtcpAttr)![0]) : m.port + 1;
  const ptimeAttr = Number(attr(m, "ptime") ?? attr(m, "maxptime") ?? 20);
  return {
    address: conn.address, port: m.port, rtcpPort,
    codec: chosen.name, payloadType: chosen.pt, payloadTypes,
    ...(telephoneEvent !== undefined ? { telephoneEvent } : {}),
    ptime: Number.isFinite(ptimeAttr) && ptimeAttr > 0 ? ptimeAttr : 20,
    direction: directionOf(sd, m),
  };
}

function baseDescription(local: LocalMedia): SessionDescription {
  const at = addrType(local.address);
  return {
    version: 0,
    origin: {
      username: local.owner || "-", sessionId: String(local.sessionId ?? 0), sessionVersion: String(local.sessionVersion ?? local.sessionId ?? 0),
      netType: "IN", addrType: at, address: local.address,
    },
    sessionName: local.sessionName ?? "Recall",
    connection: { netType: "IN", addrType: at, address: local.address },
    bandwidths: [], timing: ["0 0"], attributes: [], extra: [], media: [],
  };
}

function audioLine(local: LocalMedia, list: { pt: number; name: string }[], dtmfPt: number | undefined, direction: Direction): SdpMedia {
  const attributes: SdpAttribute[] = [];
  for (const c of list) attributes.push({ name: "rtpmap", value: `${c.pt} ${CODECS[c.name].encoding}/${CODECS[c.name].rate}` });
  if (dtmfPt !== undefined) {
    attributes.push({ name: "rtpmap", value: `${dtmfPt} telephone-event/8000` }, { name: "fmtp", value: `${dtmfPt} 0-16` });
  }
  attributes.push({ name: "ptime", value: String(local.ptime ?? 20) }, { name: "maxptime", value: "150" }, { name: direction });
  return {
    type: "audio", port: local.port, proto: "RTP/AVP",
    formats: [...list.map((c) => String(c.pt)), ...(dtmfPt !== undefined ? [String(dtmfPt)] : [])],
    bandwidths: [], attributes,
  };
}

/** Our offer: every allowed codec in order, plus telephone-event. */
export function createOffer(local: LocalMedia): { sdp: SessionDescription; text: string } {
  const codecs = checkCodecs(local.codecs);
  const sd = baseDescription(local);
  const list = codecs.map((name) => ({ pt: CODECS[name].staticPt ?? CODECS[name].dynamicPt, name }));
  sd.media.push(audioLine(local, list, local.dtmf === false ? undefined : TELEPHONE_EVENT_PT, local.direction ?? "sendrecv"));
  return { sdp: sd, text: serializeSdp(sd) };
}

/**
 * Answer a remote offer. Throws SdpError: "malformed" (→ 400) when the offer does not
 * parse, "no-audio"/"no-common-codec" (→ 488) when it cannot be met.
 */
export function createAnswer(offer: string | Uint8Array | SessionDescription, local: LocalMedia): { sdp: SessionDescription; text: string; remote: RemoteMedia } {
  const off = typeof offer === "object" && "media" in offer ? offer : parseSdp(offer);
  const remote = remoteMedia(off, local.codecs, "ours");
  const chosenLine = firstAudio(off);
  const sd = baseDescription(local);
  // Joint codecs in the endpoint's order, with the PTs the offerer used (RFC 3264 §6.1).
  const joint = checkCodecs(local.codecs)
    .map((name) => {
      const e = Object.entries(remote.payloadTypes).find(([, n]) => n === name);
      return e ? { pt: Number(e[0]), name } : undefined;
    })
    .filter((x): x is { pt: number; name: string } => x !== undefined);
  const dtmf = local.dtmf === false ? undefined : remote.telephoneEvent;
  if (dtmf === undefined) delete remote.telephoneEvent;
  for (const m of off.media) {
    if (m === chosenLine) sd.media.push(audioLine(local, joint, dtmf, mirror(remote.direction)));
    else sd.media.push({ type: m.type, port: 0, proto: m.proto, formats: m.formats.length ? m.formats.slice(0, 1) : ["0"], bandwidths: [], attributes: [] });
  }
  return { sdp: sd, text: serializeSdp(sd), remote };
}
