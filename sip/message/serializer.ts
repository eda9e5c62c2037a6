/**
 * Writing messages. Content-Length is always written, last, from the body's length
 * (mandatory on streams, and it keeps a stale value from ever reaching the wire).
 */
import type { SipMessage } from "./message.js";

/** The message as a string of bytes (latin1), without the body. */
export function serializeHead(message: SipMessage): string {
  let s = message.startLine() + "\r\n";
  for (const f of message.headerFields) {
    if (f.key !== "content-length") s += f.name + ": " + f.value + "\r\n";
  }
  return s + "Content-Length: " + message.body.length + "\r\n\r\n";
}

/** Node's latin1Write skips the argument handling of write() (measurably cheaper per message); write() is the fallback. */
type Latin1Writable = Buffer & { latin1Write?: (s: string, offset: number) => number };

/** The message as it goes on the wire. */
export function serializeMessage(message: SipMessage): Buffer {
  const head = serializeHead(message);
  const body = message.body;
  const out = Buffer.allocUnsafe(head.length + body.length) as Latin1Writable;
  if (out.latin1Write) out.latin1Write(head, 0);
  else out.write(head, 0, "latin1");
  if (body.length > 0) body.copy(out, head.length);
  return out;
}
