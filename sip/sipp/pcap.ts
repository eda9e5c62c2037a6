/**
 * Capture files for sipp's `<exec play_pcap_audio="file.pcap"/>`: the RTP a phone would
 * send (µ-law frames every 20 ms, RFC 4733 telephone-events in between), written as
 * classic libpcap files of Ethernet/IPv4/UDP frames, the format sipp's prepare_pcap.c
 * reads (and the one of the captures Debian's sip-tester ships). sipp keeps each
 * packet's RTP header and payload and its timing, and rewrites only the UDP ports (to
 * its media port and the port the far end's SDP announced) and addresses.
 *
 * `readPcap` reads such files back (our own and sipp's), for tests.
 */

/** One UDP payload and when it leaves, in ms from the start of the capture. */
export interface Datagram {
  readonly atMs: number;
  readonly payload: Uint8Array;
}

export interface Endpoint {
  readonly address: string;
  readonly port: number;
}

export interface PcapOptions {
  /** Addresses and ports in the frames (sipp replaces them). Default 127.0.0.1:6000 → 127.0.0.1:10000. */
  readonly src?: Endpoint;
  readonly dst?: Endpoint;
  /** Capture time of the first frame, Unix seconds. */
  readonly startSeconds?: number;
}

const PCAP_MAGIC = 0xa1b2c3d4;
const LINKTYPE_ETHERNET = 1;
const ETHERNET = 14, IPV4 = 20, UDP = 8;

function ipv4(address: string): number[] {
  const parts = address.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !(p >= 0 && p <= 255))) throw new Error(`not an IPv4 address: ${address}`);
  return parts;
}

/** RFC 1071 one's-complement sum of 16-bit words (odd length padded with a zero byte). */
function onesSum(bytes: Uint8Array, sum = 0): number {
  for (let i = 0; i + 1 < bytes.length; i += 2) sum += (bytes[i] << 8) | bytes[i + 1];
  if (bytes.length & 1) sum += bytes[bytes.length - 1] << 8;
  return sum;
}
const fold = (sum: number) => { while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16); return ~sum & 0xffff; };

/** One Ethernet/IPv4/UDP frame carrying `payload`, with correct IPv4 and UDP checksums. */
export function udpFrame(src: Endpoint, dst: Endpoint, payload: Uint8Array, id = 0): Buffer {
  const f = Buffer.alloc(ETHERNET + IPV4 + UDP + payload.length);
  // Ethernet: locally administered MACs, type IPv4.
  f.set([0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01], 0);
  f.writeUInt16BE(0x0800, 12);
  const ip = ETHERNET;
  f[ip] = 0x45; // version 4, 5 words of header
  f.writeUInt16BE(IPV4 + UDP + payload.length, ip + 2);
  f.writeUInt16BE(id & 0xffff, ip + 4);
  f.writeUInt16BE(0x4000, ip + 6); // don't fragment
  f[ip + 8] = 64; // TTL
  f[ip + 9] = 17; // UDP
  const s = ipv4(src.address), d = ipv4(dst.address);
  f.set(s, ip + 12);
  f.set(d, ip + 16);
  f.writeUInt16BE(fold(onesSum(f.subarray(ip, ip + IPV4))), ip + 10);
  const udp = ip + IPV4;
  f.writeUInt16BE(src.port, udp);
  f.writeUInt16BE(dst.port, udp + 2);
  f.writeUInt16BE(UDP + payload.length, udp + 4);
  f.set(payload, udp + UDP);
  // UDP checksum over the pseudo-header (addresses, protocol, length) and the datagram.
  const pseudo = onesSum(Uint8Array.from([...s, ...d, 0, 17, (UDP + payload.length) >> 8, (UDP + payload.length) & 0xff]));
  const sum = fold(onesSum(f.subarray(udp), pseudo));
  f.writeUInt16BE(sum === 0 ? 0xffff : sum, udp + 6);
  return f;
}

/** A libpcap file (microsecond time stamps, Ethernet) of `datagrams`, in order. */
export function pcapFile(datagrams: readonly Datagram[], o: PcapOptions = {}): Buffer {
  const src = o.src ?? { address: "127.0.0.1", port: 6000 }, dst = o.dst ?? { address: "127.0.0.1", port: 10000 };
  const start = o.startSeconds ?? 1_700_000_000;
  const head = Buffer.alloc(24);
  head.writeUInt32LE(PCAP_MAGIC, 0);
  head.writeUInt16LE(2, 4); head.writeUInt16LE(4, 6); // version 2.4
  head.writeInt32LE(0, 8); head.writeUInt32LE(0, 12); // GMT offset, accuracy
  head.writeUInt32LE(65535, 16); // snaplen
  head.writeUInt32LE(LINKTYPE_ETHERNET, 20);
  const parts: Buffer[] = [head];
  datagrams.forEach((g, i) => {
    const frame = udpFrame(src, dst, g.payload, i + 1);
    const us = Math.round(g.atMs * 1000);
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(start + Math.floor(us / 1e6), 0);
    rec.writeUInt32LE(us % 1e6, 4);
    rec.writeUInt32LE(frame.length, 8); // captured = original: sipp refuses truncated frames
    rec.writeUInt32LE(frame.length, 12);
    parts.push(rec, frame);
  });
  return Buffer.concat(parts);
}

export interface CapturedDatagram extends Datagram {
  readonly src: Endpoint;
  readonly dst: Endpoint;
  /** The IPv4 header and UDP checksums verify (a UDP checksum of 0 means "none" and passes). */
  readonly checksumsOk: boolean;
}

/** The UDP datagrams of a libpcap file of Ethernet/IPv4 frames (either byte order); other frames are skipped. */
export function readPcap(file: Uint8Array): CapturedDatagram[] {
  const b = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  const magic = b.readUInt32LE(0);
  const le = magic === PCAP_MAGIC;
  if (!le && b.readUInt32BE(0) !== PCAP_MAGIC) throw new Error("not a libpcap file (microsecond)");
  const u32 = (at: number) => (le ? b.readUInt32LE(at) : b.readUInt32BE(at));
  if (u32(20) !== LINKTYPE_ETHERNET) throw new Error(`link type ${u32(20)}, not Ethernet`);
  const out: CapturedDatagram[] = [];
  let first: number | undefined;
  for (let at = 24; at + 16 <= b.length;) {
    const us = u32(at) * 1e6 + u32(at + 4), len = u32(at + 8);
    const f = b.subarray(at + 16, at + 16 + len);
    at += 16 + len;
    first ??= us;
    if (f.length < ETHERNET + IPV4 + UDP || f.readUInt16BE(12) !== 0x0800 || f[ETHERNET + 9] !== 17) continue;
    const ip = ETHERNET, ihl = (f[ip] & 0x0f) * 4, udp = ip + ihl;
    const udpLen = f.readUInt16BE(udp + 4);
    const addr = (o: number) => `${f[o]}.${f[o + 1]}.${f[o + 2]}.${f[o + 3]}`;
    const pseudo = onesSum(Uint8Array.from([...f.subarray(ip + 12, ip + 20), 0, 17, udpLen >> 8, udpLen & 0xff]));
    const udpOk = f.readUInt16BE(udp + 6) === 0 || fold(onesSum(f.subarray(udp, udp + udpLen), pseudo)) === 0;
    out.push({
      atMs: (us - first) / 1000,
      src: { address: addr(ip + 12), port: f.readUInt16BE(udp) },
      dst: { address: addr(ip + 16), port: f.readUInt16BE(udp + 2) },
      payload: f.subarray(udp + UDP, udp + udpLen),
      checksumsOk: fold(onesSum(f.subarray(ip, ip + ihl))) === 0 && udpOk,
    });
  }
  return out;
}

// ---- the RTP a phone sends ----

/** RFC 4733 event codes of the DTMF digits. */
export const DTMF_EVENT: Readonly<Record<string, number>> = {
  0: 0, 1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 6, 7: 7, 8: 8, 9: 9, "*": 10, "#": 11, A: 12, B: 13, C: 14, D: 15,
};

export interface RtpStreamOptions {
  readonly ssrc?: number;
  readonly firstSequence?: number;
  readonly firstTimestamp?: number;
  /** Payload types: µ-law audio (0) and telephone-event (101, as sipp's and Recall's SDP offer). */
  readonly audioPt?: number;
  readonly eventPt?: number;
}

/**
 * An RTP stream as a phone sends it, 20 ms per slot: one 160-byte µ-law frame per slot,
 * or, during a digit, one telephone-event packet per slot (RFC 4733 §2.5: the first with
 * the marker bit, all with the event's start timestamp and a growing duration; the end
 * packet sent three times, each with its own sequence number). Audio resumes after a
 * digit with the timestamp the slots it took have advanced.
 */
export class RtpStream {
  private seq: number;
  private ts: number;
  private slot = 0;
  private readonly packets: Datagram[] = [];
  private readonly ssrc: number;
  private readonly audioPt: number;
  private readonly eventPt: number;
  /** The marker goes on the first audio packet of the stream and of each talk spurt after a digit. */
  private spurt = true;

  constructor(o: RtpStreamOptions = {}) {
    this.ssrc = o.ssrc ?? 0x2a5e1b07;
    this.seq = o.firstSequence ?? 4711;
    this.ts = o.firstTimestamp ?? 160_000;
    this.audioPt = o.audioPt ?? 0;
    this.eventPt = o.eventPt ?? 101;
  }

  private packet(pt: number, marker: boolean, ts: number, payload: Uint8Array): void {
    const p = Buffer.alloc(12 + payload.length);
    p[0] = 0x80;
    p[1] = (marker ? 0x80 : 0) | pt;
    p.writeUInt16BE(this.seq, 2);
    p.writeUInt32BE(ts >>> 0, 4);
    p.writeUInt32BE(this.ssrc >>> 0, 8);
    p.set(payload, 12);
    this.seq = (this.seq + 1) & 0xffff;
    this.packets.push({ atMs: this.slot * 20, payload: p });
  }

  /** 20 ms frames of µ-law audio (each 160 bytes; a short last frame is padded with silence). */
  audio(ulaw: Uint8Array): this {
    for (let at = 0; at < ulaw.length; at += 160) {
      const frame = Buffer.alloc(160, 0xff);
      frame.set(ulaw.subarray(at, at + 160));
      this.packet(this.audioPt, this.spurt, this.ts, frame);
      this.spurt = false;
      this.ts += 160;
      this.slot++;
    }
    return this;
  }

  /** µ-law silence (0xFF) for `ms`. */
  silence(ms: number): this {
    return this.audio(Buffer.alloc(Math.round(ms / 20) * 160, 0xff));
  }

  /** One DTMF digit as telephone-events lasting `ms` (a multiple of 20), volume -10 dBm0. */
  digit(d: string, ms = 100, volume = 10): this {
    const event = DTMF_EVENT[d.toUpperCase()];
    if (event === undefined) throw new Error(`not a DTMF digit: ${d}`);
    const slots = Math.max(2, Math.round(ms / 20));
    const start = this.ts;
    const payload = (end: boolean, duration: number) =>
      Uint8Array.of(event, (end ? 0x80 : 0) | (volume & 0x3f), (duration >> 8) & 0xff, duration & 0xff);
    for (let k = 1; k < slots; k++) { this.packet(this.eventPt, k === 1, start, payload(false, k * 160)); this.slot++; }
    for (let k = 0; k < 3; k++) { this.packet(this.eventPt, false, start, payload(true, slots * 160)); this.slot++; }
    this.ts = start + (slots + 2) * 160;
    this.spurt = true;
    return this;
  }

  /** Digits one after another, `gapMs` of silence after each. */
  digits(ds: string, ms = 100, gapMs = 200): this {
    for (const d of ds) this.digit(d, ms).silence(gapMs);
    return this;
  }

  /** How long the stream plays, ms. */
  get durationMs(): number { return this.slot * 20; }

  datagrams(): readonly Datagram[] { return this.packets; }

  pcap(o: PcapOptions = {}): Buffer { return pcapFile(this.packets, o); }
}
