/** DSCP names as the tos settings accept them, each a 6-bit code point. */
const DSCP: Readonly<Record<string, number>> = {
  cs0: 0x00, cs1: 0x08, cs2: 0x10, cs3: 0x18, cs4: 0x20, cs5: 0x28, cs6: 0x30, cs7: 0x38,
  af11: 0x0a, af12: 0x0c, af13: 0x0e, af21: 0x12, af22: 0x14, af23: 0x16,
  af31: 0x1a, af32: 0x1c, af33: 0x1e, af41: 0x22, af42: 0x24, af43: 0x26, ef: 0x2e,
};

/** A `tos` value as the number Asterisk stores: a C integer literal, or a DSCP name shifted into the TOS byte. */
export function tosValue(text: string): number {
  const t = text.trim();
  const m = /^([+-]?)(0x[0-9a-f]+|0[0-7]*|[1-9]\d*)/i.exec(t);
  if (m) {
    const digits = m[2].toLowerCase();
    const n = digits.startsWith("0x") ? parseInt(digits.slice(2), 16) : digits.length > 1 && digits.startsWith("0") ? parseInt(digits, 8) : Number(digits);
    return ((m[1] === "-" ? -n : n) & 0xff) >>> 0;
  }
  const dscp = DSCP[t.toLowerCase()];
  return dscp === undefined ? 0 : dscp << 2;
}
