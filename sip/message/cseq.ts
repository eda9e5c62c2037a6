/** CSeq (RFC 3261 §20.16): a sequence number and the method it belongs to. */
import { SipParseError } from "./errors.js";
import { isTokenChar, isWhite, parseDecimal } from "./text.js";

export interface CSeq {
  readonly seq: number;
  readonly method: string;
}

/** Parse `4711 INVITE`. The number must fit in 32 bits unsigned. */
export function parseCSeq(value: string): CSeq {
  let pos = 0;
  const end = value.length;
  while (pos < end && isWhite(value.charCodeAt(pos))) pos++;
  const numStart = pos;
  while (pos < end && !isWhite(value.charCodeAt(pos))) pos++;
  const seq = parseDecimal(value.slice(numStart, pos), 10);
  if (!(seq <= 0xffffffff)) throw new SipParseError("invalid-header", "sequence number is not a 32-bit unsigned integer", "CSeq");
  while (pos < end && isWhite(value.charCodeAt(pos))) pos++;
  let methodEnd = pos;
  while (methodEnd < end && isTokenChar(value.charCodeAt(methodEnd))) methodEnd++;
  if (methodEnd === pos) throw new SipParseError("invalid-header", "missing method", "CSeq");
  for (let i = methodEnd; i < end; i++) {
    if (!isWhite(value.charCodeAt(i))) throw new SipParseError("invalid-header", "unexpected text after the method", "CSeq");
  }
  return { seq, method: value.slice(pos, methodEnd) };
}

export function formatCSeq(cseq: CSeq): string {
  return cseq.seq + " " + cseq.method;
}
