/**
 * RTP and RTCP (RFC 3550), and telephone-event payloads (RFC 4733). Parsing never
 * throws: a packet that is not valid RTP is `undefined` and the caller counts a drop.
 */

export interface RtpHeader {
  payloadType: number;
  marker: boolean;
  sequence: number;
  timestamp: number;
  ssrc: number;
  /** Payload start and end (padding removed) inside the packet. */
  payloadOffset: number;
  payloadEnd: number;
}

export const RTP_HEADER = 12;
export const MAX_RTP_PACKET = 1500;

export function parseRtp(p: Uint8Array): RtpHeader | undefined {
  if (p.length < RTP_HEADER || p.length > MAX_RTP_PACKET) return undefined;
  const b0 = p[0];
  if (b0 >> 6 !== 2) return undefined;
  const pt = p[1] & 0x7f;
  // 72-76 are RTCP SR/RR/SDES/BYE/APP when multiplexed: not audio.
  if (pt >= 72 && pt <= 76) return undefined;
  let off = RTP_HEADER + (b0 & 0x0f) * 4;
  if (b0 & 0x10) {
    if (p.length < off + 4) return undefined;
    off += 4 + ((p[off + 2] << 8) | p[off + 3]) * 4;
  }
  let end = p.length;
  if (b0 & 0x20) {
    const pad = p[p.length - 1];
    if (pad === 0 || pad > end - off) return undefined;
    end -= pad;
  }
  if (off > end) return undefined;
  return {
    payloadType: pt,
    marker: (p[1] & 0x80) !== 0,
    sequence: (p[2] << 8) | p[3],
    timestamp: ((p[4] << 24) | (p[5] << 16) | (p[6] << 8) | p[7]) >>> 0,
    ssrc: ((p[8] << 24) | (p[9] << 16) | (p[10] << 8) | p[11]) >>> 0,
    payloadOffset: off,
    payloadEnd: end,
  };
}

/** Writes a 12-byte header (no CSRC, no extension) at the start of `buf`. */
export function writeRtpHeader(buf: Uint8Array, pt: number, marker: boolean, seq: number, ts: number, ssrc: number): void {
  buf[0] = 0x80;
  buf[1] = (marker ? 0x80 : 0) | (pt & 0x7f);
  buf[2] = (seq >> 8) & 0xff; buf[3] = seq & 0xff;
  buf[4] = (ts >>> 24) & 0xff; buf[5] = (ts >>> 16) & 0xff; buf[6] = (ts >>> 8) & 0xff; buf[7] = ts & 0xff;
  buf[8] = (ssrc >>> 24) & 0xff; buf[9] = (ssrc >>> 16) & 0xff; buf[10] = (ssrc >>> 8) & 0xff; buf[11] = ssrc & 0xff;
}

export function buildRtp(pt: number, marker: boolean, seq: number, ts: number, ssrc: number, payload: Uint8Array): Buffer {
  const b = Buffer.allocUnsafe(RTP_HEADER + payload.length);
  writeRtpHeader(b, pt, marker, seq, ts, ssrc);
  b.set(payload, RTP_HEADER);
  return b;
}

// ---- receiver statistics (RFC 3550 appendix A.1, A.3, A.8) ----

const RTP_SEQ_MOD = 1 << 16, MAX_DROPOUT = 3000, MAX_MISORDER = 100, MIN_SEQUENTIAL = 2;

export class ReceiverStats {
  ssrc = 0;
  private maxSeq = 0;
  private cycles = 0;
  private baseSeq = 0;
  private badSeq = RTP_SEQ_MOD + 1;
  private probation = MIN_SEQUENTIAL;
  received = 0;
  /** Every packet accepted, probation included (RFC counters restart after probation). */
  total = 0;
  private expectedPrior = 0;
  private receivedPrior = 0;
  private transit = 0;
  private started = false;
  /** Interarrival jitter in timestamp units, as RFC 3550 §6.4.1 keeps it (×16 internally). */
  private jitter16 = 0;
  /** Packets refused by the sequence check (jumps, duplicates from before a restart). */
  rejected = 0;
  /** Middle 32 bits of the last SR's NTP time, and when (ms) it arrived: for LSR/DLSR. */
  lastSr = 0;
  lastSrAt = 0;

  private init(seq: number): void {
    this.baseSeq = seq; this.maxSeq = seq; this.badSeq = RTP_SEQ_MOD + 1;
    this.cycles = 0; this.received = 0; this.receivedPrior = 0; this.expectedPrior = 0;
  }

  /** A packet arrived at `arrivalTs` (ms). False when it fails the sequence check. */
  update(seq: number, rtpTs: number, ssrc: number, arrivalMs: number, clockRate = 8000): boolean {
    if (!this.started || ssrc !== this.ssrc) {
      // A new source (first packet, or the peer restarted its stream): start over.
      this.started = true; this.ssrc = ssrc; this.init(seq); this.maxSeq = seq - 1; this.probation = MIN_SEQUENTIAL;
      this.jitter16 = 0; this.transit = 0;
    }
    const udelta = (seq - this.maxSeq + RTP_SEQ_MOD) % RTP_SEQ_MOD;
    this.total++;
    if (this.probation) {
      if (seq === ((this.maxSeq + 1) & 0xffff)) {
        this.probation--; this.maxSeq = seq;
        if (this.probation === 0) { this.init(seq); this.received++; this.jitterUpdate(rtpTs, arrivalMs, clockRate); return true; }
      } else { this.probation = MIN_SEQUENTIAL - 1; this.maxSeq = seq; }
      this.received++;
      return true;
    } else if (udelta < MAX_DROPOUT) {
      if (seq < this.maxSeq) this.cycles += RTP_SEQ_MOD;
      this.maxSeq = seq;
    } else if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
      if (seq === this.badSeq) { this.init(seq); }
      else { this.badSeq = (seq + 1) & 0xffff; this.rejected++; this.total--; return false; }
    }
    // else: duplicate or reordered: counted, no jitter update from it
    this.received++;
    this.jitterUpdate(rtpTs, arrivalMs, clockRate);
    return true;
  }

  private jitterUpdate(rtpTs: number, arrivalMs: number, clockRate: number): void {
    const arrival = Math.round((arrivalMs * clockRate) / 1000);
    const transit = (arrival - rtpTs) | 0;
    if (this.transit !== 0 || this.received > 1) {
      let d = (transit - this.transit) | 0;
      if (d < 0) d = -d;
      this.jitter16 += d - ((this.jitter16 + 8) >> 4);
    }
    this.transit = transit;
  }

  get extendedMax(): number { return this.cycles + this.maxSeq; }
  get expected(): number { return this.started ? this.extendedMax - this.baseSeq + 1 : 0; }
  get lost(): number { return Math.max(-0x800000, Math.min(0x7fffff, this.expected - this.received)); }
  /** Jitter in timestamp units. */
  get jitter(): number { return this.jitter16 >> 4; }

  /** A report block for an RR/SR, resetting the interval counters. */
  reportBlock(nowMs: number): ReportBlock {
    const expected = this.expected, expInt = expected - this.expectedPrior, recInt = this.received - this.receivedPrior;
    this.expectedPrior = expected; this.receivedPrior = this.received;
    const lostInt = expInt - recInt;
    const fraction = expInt === 0 || lostInt <= 0 ? 0 : Math.min(255, Math.floor((lostInt << 8) / expInt));
    return {
      ssrc: this.ssrc, fractionLost: fraction, cumulativeLost: this.lost, extendedHighestSeq: this.extendedMax >>> 0,
      jitter: this.jitter, lastSr: this.lastSr,
      delaySinceLastSr: this.lastSrAt ? Math.round(((nowMs - this.lastSrAt) / 1000) * 65536) >>> 0 : 0,
    };
  }
}

// ---- RTCP ----

export interface ReportBlock {
  ssrc: number; fractionLost: number; cumulativeLost: number; extendedHighestSeq: number;
  jitter: number; lastSr: number; delaySinceLastSr: number;
}
export interface SenderInfo { ntpSec: number; ntpFrac: number; rtpTimestamp: number; packets: number; octets: number }
export type RtcpPacket =
  | { type: "sr"; ssrc: number; sender: SenderInfo; reports: ReportBlock[] }
  | { type: "rr"; ssrc: number; reports: ReportBlock[] }
  | { type: "bye"; ssrcs: number[] }
  | { type: "other"; pt: number };

function writeBlock(v: DataView, o: number, r: ReportBlock): void {
  v.setUint32(o, r.ssrc);
  v.setUint32(o + 4, ((r.fractionLost & 0xff) << 24 | (r.cumulativeLost & 0xffffff)) >>> 0);
  v.setUint32(o + 8, r.extendedHighestSeq >>> 0);
  v.setUint32(o + 12, r.jitter >>> 0);
  v.setUint32(o + 16, r.lastSr >>> 0);
  v.setUint32(o + 20, r.delaySinceLastSr >>> 0);
}

function readBlock(v: DataView, o: number): ReportBlock {
  const w = v.getUint32(o + 4);
  return {
    ssrc: v.getUint32(o), fractionLost: w >>> 24, cumulativeLost: (w << 8) >> 8,
    extendedHighestSeq: v.getUint32(o + 8), jitter: v.getUint32(o + 12),
    lastSr: v.getUint32(o + 16), delaySinceLastSr: v.getUint32(o + 20),
  };
}

export function buildSenderReport(ssrc: number, s: SenderInfo, reports: ReportBlock[]): Buffer {
  const rc = Math.min(31, reports.length), len = 28 + 24 * rc;
  const b = Buffer.alloc(len), v = new DataView(b.buffer, b.byteOffset, b.length);
  b[0] = 0x80 | rc; b[1] = 200; v.setUint16(2, len / 4 - 1);
  v.setUint32(4, ssrc); v.setUint32(8, s.ntpSec >>> 0); v.setUint32(12, s.ntpFrac >>> 0);
  v.setUint32(16, s.rtpTimestamp >>> 0); v.setUint32(20, s.packets >>> 0); v.setUint32(24, s.octets >>> 0);
  for (let i = 0; i < rc; i++) writeBlock(v, 28 + 24 * i, reports[i]);
  return b;
}

export function buildReceiverReport(ssrc: number, reports: ReportBlock[]): Buffer {
  const rc = Math.min(31, reports.length), len = 8 + 24 * rc;
  const b = Buffer.alloc(len), v = new DataView(b.buffer, b.byteOffset, b.length);
  b[0] = 0x80 | rc; b[1] = 201; v.setUint16(2, len / 4 - 1); v.setUint32(4, ssrc);
  for (let i = 0; i < rc; i++) writeBlock(v, 8 + 24 * i, reports[i]);
  return b;
}

/** Parse a compound RTCP packet; undefined when it is not RTCP. */
export function parseRtcp(p: Uint8Array): RtcpPacket[] | undefined {
  if (p.length < 8 || p.length > MAX_RTP_PACKET) return undefined;
  const v = new DataView(p.buffer, p.byteOffset, p.length);
  const out: RtcpPacket[] = [];
  for (let o = 0; o < p.length;) {
    if (o + 4 > p.length || p[o] >> 6 !== 2) return undefined;
    const count = p[o] & 0x1f, pt = p[o + 1], len = (v.getUint16(o + 2) + 1) * 4;
    if (o + len > p.length) return undefined;
    if (pt === 200) {
      if (len < 28 + 24 * count) return undefined;
      const reports = []; for (let i = 0; i < count; i++) reports.push(readBlock(v, o + 28 + 24 * i));
      out.push({ type: "sr", ssrc: v.getUint32(o + 4), reports, sender: {
        ntpSec: v.getUint32(o + 8), ntpFrac: v.getUint32(o + 12), rtpTimestamp: v.getUint32(o + 16),
        packets: v.getUint32(o + 20), octets: v.getUint32(o + 24) } });
    } else if (pt === 201) {
      if (len < 8 + 24 * count) return undefined;
      const reports = []; for (let i = 0; i < count; i++) reports.push(readBlock(v, o + 8 + 24 * i));
      out.push({ type: "rr", ssrc: v.getUint32(o + 4), reports });
    } else if (pt === 203) {
      const ssrcs = []; for (let i = 0; i < count && o + 8 + 4 * i <= o + len; i++) ssrcs.push(v.getUint32(o + 4 + 4 * i));
      out.push({ type: "bye", ssrcs });
    } else if (pt >= 192 && pt <= 223) out.push({ type: "other", pt });
    else return undefined;
    o += len;
  }
  return out;
}

/** NTP time (RFC 3550 §4) from a Unix time in ms. */
export function ntpFromUnixMs(ms: number): { ntpSec: number; ntpFrac: number } {
  const sec = Math.floor(ms / 1000);
  return { ntpSec: (sec + 2208988800) >>> 0, ntpFrac: Math.floor(((ms - sec * 1000) / 1000) * 2 ** 32) >>> 0 };
}

// ---- RFC 4733 telephone-event ----

export const DTMF_EVENTS = "0123456789*#ABCD";

export interface TelephoneEvent { event: number; end: boolean; volume: number; duration: number }

export function parseTelephoneEvent(p: Uint8Array): TelephoneEvent | undefined {
  if (p.length < 4) return undefined;
  return { event: p[0], end: (p[1] & 0x80) !== 0, volume: p[1] & 0x3f, duration: (p[2] << 8) | p[3] };
}

export function telephoneEventPayload(event: number, end: boolean, volume: number, duration: number): Uint8Array {
  return Uint8Array.of(event & 0xff, (end ? 0x80 : 0) | (volume & 0x3f), (duration >> 8) & 0xff, duration & 0xff);
}

export function digitToEvent(d: string): number | undefined {
  const i = DTMF_EVENTS.indexOf(d.toUpperCase());
  return i < 0 || d.length !== 1 ? undefined : i;
}
