/**
 * A deterministic generator of broken SIP messages for fuzzing the parser and, over
 * UDP and TCP, the running server. The same seed always gives the same sequence.
 * Each case starts from a realistic message (REGISTER, INVITE with SDP, 200 OK,
 * OPTIONS, BYE, ACK, 401) and applies one mutation, or several for "combined".
 */
import type { Random } from "../../core/random.js";

/** A small fast seeded generator (mulberry32): fuzzing draws millions of numbers. */
class FastRandom implements Random {
  #state: number;
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }
  next32(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
}

export const MUTATIONS = [
  "none", // unchanged: valid traffic mixed in
  "variant", // valid but unusual: compact names, odd case, folding, bare LF, leading CRLF
  "truncate",
  "oversized-header",
  "bad-content-length",
  "invalid-utf8",
  "header-injection",
  "huge-via",
  "byte-flips",
  "duplicate-header",
  "missing-header",
  "many-headers",
  "bad-start-line",
  "random-bytes",
  "combined",
] as const;

export type Mutation = (typeof MUTATIONS)[number];

export interface FuzzCase {
  /** Position in the sequence, from 0. */
  readonly index: number;
  readonly mutation: Mutation;
  /** What the mutation did, for reports. */
  readonly detail: string;
  readonly data: Buffer;
}

/** A message under construction: start line, header lines (without CRLF) and body. */
interface Draft {
  start: string;
  headers: string[];
  body: Buffer;
  eol: string;
}

class Dice {
  constructor(private readonly random: Random) {}
  /** Integer in [0, n). */
  int(n: number): number {
    return n <= 1 ? 0 : Math.floor((this.random.next32() / 0x1_0000_0000) * n);
  }
  between(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
  chance(p: number): boolean {
    return this.random.next32() / 0x1_0000_0000 < p;
  }
  bytes(n: number): Buffer {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i += 4) {
      const v = this.random.next32();
      for (let k = 0; k < 4 && i + k < n; k++) out[i + k] = (v >>> (8 * k)) & 255;
    }
    return out;
  }
  hex(chars: number): string {
    let s = "";
    for (let i = 0; i < chars; i += 8) {
      const v = this.random.next32();
      for (let k = 0; k < 8 && i + k < chars; k++) s += HEX[(v >>> (4 * k)) & 15];
    }
    return s;
  }
}

const HEX = "0123456789abcdef";

const SDP = [
  "v=0", "o=- 20518 0 IN IP4 192.0.2.10", "s=-", "c=IN IP4 192.0.2.10", "t=0 0",
  "m=audio 40000 RTP/AVP 0 8 101", "a=rtpmap:0 PCMU/8000", "a=rtpmap:8 PCMA/8000",
  "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-16", "a=sendrecv", "",
].join("\r\n");

export class SipFuzzer {
  readonly #dice: Dice;
  #index = 0;

  /** `seed` picks the sequence; a Random can be given instead (e.g. one shared with a simulation). */
  constructor(seed: number | Random = 1) {
    this.#dice = new Dice(typeof seed === "number" ? new FastRandom(seed) : seed);
  }

  /** The next case of the sequence. */
  next(): FuzzCase {
    const d = this.#dice;
    const mutation = d.pick(MUTATIONS);
    const draft = this.#template();
    let detail: string;
    let data: Buffer;
    if (mutation === "random-bytes") {
      const bytes = d.bytes(d.int(2048));
      data = bytes;
      detail = `${bytes.length} random bytes`;
    } else if (mutation === "combined") {
      const steps: string[] = [];
      const count = d.between(2, 3);
      const structural = MUTATIONS.filter((m) => m !== "none" && m !== "combined" && m !== "random-bytes" && m !== "truncate" && m !== "byte-flips");
      for (let i = 0; i < count - 1; i++) steps.push(this.#mutate(draft, d.pick(structural)));
      data = render(draft);
      const last = d.pick(["truncate", "byte-flips", "none"] as const);
      if (last === "truncate") { data = truncate(d, data); steps.push("truncate"); }
      else if (last === "byte-flips") { data = flip(d, data); steps.push("byte-flips"); }
      detail = steps.join(" + ");
    } else if (mutation === "truncate") {
      data = truncate(d, render(draft));
      detail = `cut to ${data.length} bytes`;
    } else if (mutation === "byte-flips") {
      data = flip(d, render(draft));
      detail = "random bytes changed";
    } else {
      detail = this.#mutate(draft, mutation);
      data = render(draft);
    }
    return { index: this.#index++, mutation, detail, data };
  }

  /** `count` cases in sequence. */
  *cases(count: number): Generator<FuzzCase> {
    for (let i = 0; i < count; i++) yield this.next();
  }

  /** Cut a byte stream into random chunks, as TCP may deliver it. */
  chunks(data: Buffer): Buffer[] {
    const out: Buffer[] = [];
    for (let pos = 0; pos < data.length;) {
      const size = this.#dice.chance(0.2) ? this.#dice.between(1, 8) : this.#dice.between(1, 1500);
      out.push(data.subarray(pos, pos + size));
      pos += size;
    }
    return out;
  }

  #template(): Draft {
    const d = this.#dice;
    const host = d.pick(["192.0.2.10", "pc33.example.com", "[2001:db8::10]", "[::1]"]);
    const port = d.pick(["", ":5060", ":5070", ":" + d.between(1024, 65535)]);
    const transport = d.pick(["UDP", "TCP", "TLS", "WS"]);
    const user = d.pick(["alice", "6001", "+15551234567", "bob%20smith", "j\u00f6rg", "user;x=1"]);
    const via = `SIP/2.0/${transport} ${host}${port};branch=z9hG4bK${d.hex(d.between(6, 24))}${d.chance(0.5) ? ";rport" : ""}`;
    const from = `${d.pick(["", '"Alice" ', '"A \\"quoted\\" name" ', "Alice ", '"J\u00c3\u00b6rg" '])}<sip:${user}@example.com>;tag=${d.hex(8)}`;
    const to = d.chance(0.5) ? `<sip:bob@example.com>` : `<sip:bob@example.com>;tag=${d.hex(8)}`;
    const callId = `${d.hex(16)}@${host}`;
    const seq = d.between(1, 2 ** 31 - 1);
    const contact = `<sip:${user}@${host}${port};transport=${transport.toLowerCase()}>${d.chance(0.3) ? ";expires=3600" : ""}`;
    const kind = d.int(7);
    const common = (method: string): string[] => [
      `Via: ${via}`, "Max-Forwards: 70", `From: ${from}`, `To: ${to}`, `Call-ID: ${callId}`, `CSeq: ${seq} ${method}`,
    ];
    const request = (method: string, uri: string, extra: string[], body = ""): Draft => ({
      start: `${method} ${uri} SIP/2.0`,
      headers: [...common(method), ...extra, `Content-Length: ${body.length}`],
      body: Buffer.from(body, "latin1"),
      eol: "\r\n",
    });
    switch (kind) {
      case 0:
        return request("REGISTER", "sip:example.com", [
          `Contact: ${contact}`, "Expires: 3600", "User-Agent: Fuzz/1.0", "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS",
          `Authorization: Digest username="${user}", realm="example.com", nonce="${d.hex(40)}", uri="sip:example.com", response="${d.hex(32)}", algorithm=MD5, qop=auth, nc=00000001, cnonce="${d.hex(8)}"`,
        ]);
      case 1:
        return request("INVITE", `sip:bob@example.com`, [
          `Contact: ${contact}`, "Content-Type: application/sdp", "Supported: replaces, timer", "Record-Route: <sip:proxy.example.com;lr>",
        ], SDP);
      case 2:
        return request("OPTIONS", `sip:${host}${port}`, ["Accept: application/sdp"]);
      case 3:
        return request("BYE", `sip:${user}@${host}${port}`, ["Route: <sip:proxy.example.com;lr>, <sip:p2.example.com;lr>"]);
      case 4:
        return request("ACK", `sip:${user}@${host}${port}`, []);
      case 5:
        return {
          start: "SIP/2.0 200 OK",
          headers: [...common("INVITE"), `Contact: ${contact}`, "Content-Type: application/sdp", `Content-Length: ${SDP.length}`],
          body: Buffer.from(SDP, "latin1"),
          eol: "\r\n",
        };
      default:
        return {
          start: "SIP/2.0 401 Unauthorized",
          headers: [...common("REGISTER"), `WWW-Authenticate: Digest realm="example.com", nonce="${d.hex(40)}", algorithm=MD5, qop="auth"`, "Content-Length: 0"],
          body: Buffer.alloc(0),
          eol: "\r\n",
        };
    }
  }

  /** Apply a structural mutation to the draft; returns its description. */
  #mutate(draft: Draft, mutation: Mutation): string {
    const d = this.#dice;
    const headers = draft.headers;
    const anyHeader = (): number => d.int(headers.length);
    const indexOf = (name: string): number => headers.findIndex((h) => h.toLowerCase().startsWith(name.toLowerCase() + ":"));
    switch (mutation) {
      case "none":
        return "unchanged";
      case "variant": {
        const choice = d.int(5);
        if (choice === 0) {
          const compact: Record<string, string> = { via: "v", from: "f", to: "t", "call-id": "i", contact: "m", "content-length": "l", "content-type": "c", supported: "k" };
          draft.headers = headers.map((h) => {
            const colon = h.indexOf(":");
            const short = compact[h.slice(0, colon).toLowerCase()];
            return short && d.chance(0.7) ? short + " :" + h.slice(colon + 1) : h;
          });
          return "compact names";
        }
        if (choice === 1) {
          draft.headers = headers.map((h) => {
            const colon = h.indexOf(":");
            const name = h.slice(0, colon);
            return (d.chance(0.5) ? name.toUpperCase() : name.toLowerCase()) + h.slice(colon);
          });
          return "name case";
        }
        if (choice === 2) {
          const i = anyHeader();
          const h = headers[i];
          const cut = h.indexOf(" ", h.indexOf(":") + 2);
          if (cut > 0) headers[i] = h.slice(0, cut) + draft.eol + d.pick([" ", "\t", "   "]) + h.slice(cut + 1);
          return "folded header";
        }
        if (choice === 3) { draft.eol = "\n"; return "bare LF line ends"; }
        draft.start = "\r\n\r\n" + draft.start;
        return "leading CRLF";
      }
      case "oversized-header": {
        const size = d.pick([1000, 8000, 8200, 9000, 20000, 70000]) + d.int(500);
        const value = d.chance(0.5) ? "a".repeat(size) : `<sip:${"x".repeat(size)}@example.com>`;
        if (d.chance(0.5)) headers.splice(anyHeader(), 0, `${d.pick(["X-Big", "Subject", "Contact", "Via"])}: ${value}`);
        else headers[anyHeader()] += value;
        return `header of ${size} bytes`;
      }
      case "bad-content-length": {
        const actual = draft.body.length;
        const value = d.pick(["-1", "abc", "99999999999999999999", String(actual + d.between(1, 5000)), String(Math.max(0, actual - d.between(1, 50))), "", " 12 34", "0x10", "+5", "1e3"]);
        const i = indexOf("Content-Length");
        const choice = d.int(3);
        if (choice === 0 || i === -1) headers.push(`Content-Length: ${value}`);
        else if (choice === 1) headers[i] = `Content-Length: ${value}`;
        else headers.splice(i, 1);
        return choice === 2 && i !== -1 ? "Content-Length removed" : `Content-Length: ${value}`;
      }
      case "invalid-utf8": {
        const bad = d.pick(["\xc0\x80", "\xff\xfe", "\xed\xa0\x80", "\x80", "\xc3", "\xf8\x88\x80\x80\x80", "\xe2\x82"]);
        const i = anyHeader();
        const h = headers[i];
        const at = d.between(h.indexOf(":") + 1, h.length);
        headers[i] = h.slice(0, at) + bad + h.slice(at);
        if (d.chance(0.3)) draft.body = Buffer.concat([draft.body, Buffer.from(bad, "latin1")]);
        return "invalid UTF-8 in " + h.slice(0, h.indexOf(":"));
      }
      case "header-injection": {
        const payload = d.pick(["\r", "\n", "\r\nX-Injected: 1", "\nVia: SIP/2.0/UDP evil.example.com;branch=z9hG4bKevil", "\r\r\n", "\n\r", "\u0000", "\r\n\r\nINVITE sip:x SIP/2.0"]);
        const i = anyHeader();
        const h = headers[i];
        const at = d.between(h.indexOf(":") + 1, h.length);
        headers[i] = h.slice(0, at) + payload + h.slice(at);
        return `injected ${JSON.stringify(payload)}`;
      }
      case "huge-via": {
        const count = d.pick([50, 71, 73, 200, 1000]);
        const vias = Array.from({ length: count }, (_, k) => `SIP/2.0/UDP 10.0.${k >> 8 & 255}.${k & 255}:5060;branch=z9hG4bK${k}`);
        const combinedLine = d.chance(0.5);
        headers.unshift(...(combinedLine ? [`Via: ${vias.join(", ")}`] : vias.map((v) => `Via: ${v}`)));
        return `${count} extra Via ${combinedLine ? "on one line" : "lines"}`;
      }
      case "duplicate-header": {
        const name = d.pick(["From", "To", "Call-ID", "CSeq", "Via", "Content-Length", "Max-Forwards"]);
        const i = indexOf(name);
        if (i === -1) return "nothing to duplicate";
        headers.splice(d.int(headers.length + 1), 0, d.chance(0.5) ? headers[i] : headers[i] + "x");
        return "duplicated " + name;
      }
      case "missing-header": {
        const name = d.pick(["Via", "From", "To", "Call-ID", "CSeq", "Max-Forwards", "Content-Length"]);
        const i = indexOf(name);
        if (i !== -1) headers.splice(i, 1);
        return "removed " + name;
      }
      case "many-headers": {
        const count = d.pick([100, 255, 300, 1000]);
        const fillers = Array.from({ length: count }, (_, k) => `X-Filler-${k}: ${k * 7919}`);
        headers.splice(d.int(headers.length + 1), 0, ...fillers);
        return `${count} extra headers`;
      }
      case "bad-start-line": {
        draft.start = d.pick([
          "INVITE sip:bob@example.com SIP/3.0", "INVITE  SIP/2.0", "SIP/2.0 99 Too Low", "SIP/2.0 abc OK", "SIP/2.0 700 Too High",
          "INV ITE sip:bob@example.com SIP/2.0", " INVITE sip:bob@example.com SIP/2.0", "INVITE sip:bob@example.com", "",
          `INVITE sip:${"a".repeat(10000)}@example.com SIP/2.0`, "INVITE sip:bob@exa mple.com SIP/2.0", "SIP/2.0", "GET / HTTP/1.1",
          "INV\u00e9TE sip:bob@example.com SIP/2.0", "INVITE <sip:bob@example.com> SIP/2.0", "INVITE foo:bar SIP/2.0",
        ]);
        return "start line " + JSON.stringify(draft.start.slice(0, 40));
      }
      default:
        return "unchanged";
    }
  }
}

function render(draft: Draft): Buffer {
  const head = draft.start + draft.eol + draft.headers.map((h) => h + draft.eol).join("") + draft.eol;
  return Buffer.concat([Buffer.from(head, "latin1"), draft.body]);
}

function truncate(d: Dice, data: Buffer): Buffer {
  return data.subarray(0, d.int(data.length));
}

function flip(d: Dice, data: Buffer): Buffer {
  const out = Buffer.from(data);
  const count = d.between(1, 16);
  for (let k = 0; k < count && out.length > 0; k++) {
    const at = d.int(out.length);
    out[at] = d.chance(0.3) ? d.pick([0x0d, 0x0a, 0x00, 0x22, 0x3c, 0x3e, 0x2c, 0x3b, 0x3a, 0x20]) : d.int(256);
  }
  return out;
}
