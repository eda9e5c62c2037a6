import { test } from "node:test";
import assert from "node:assert/strict";
import { parseNetwork } from "../config/network.js";
import { netmaskText } from "./parameters.js";
import { tosValue } from "../config/tos.js";
import { field, fit, indentWidth, parameterTable, title } from "./text.js";

test("fields behave like printf's %-W.Ps, counting bytes", () => {
  assert.equal(fit("abcdef", 4), "abcd");
  assert.equal(fit("ab", 4), "ab  ");
  assert.equal(field("ab", 4), "  ab");
  // A negative width (from `%*s`) left-justifies; a negative precision does not cut.
  assert.equal(field("ab", -4, { precision: -1 }), "ab  ");
  // "é" is two bytes: it fills two columns of the width, as in C.
  assert.equal(fit("é", 4), "é  ");
  // A cut never splits a character: the half byte becomes padding.
  assert.equal(fit("aé", 2), "a ");
});

test("nested rows are indented two columns per level after a 9-wide title", () => {
  assert.deepEqual([0, 1, 2].map(indentWidth), [9, 11, 13]);
  assert.equal(title(1, "Aor"), "        Aor:");
});

test("the option table: names at least 13 wide, separator over name + value + 3, rows sorted by byte order", () => {
  assert.equal(parameterTable([["b", "x"], ["B", "yy"], ["a", ""]]), [
    " ParameterName : ParameterValue",
    ` ${"=".repeat(13 + 14 + 3)}`,
    " B             : yy",
    " a             : ",
    " b             : x",
  ].map((l) => `${l}\n`).join(""));
  const wide = parameterTable([["a_rather_long_option_name", "a value longer than fourteen"]]);
  assert.equal(wide.split("\n")[1], ` ${"=".repeat(25 + 28 + 3)}`);
});

test("tos values: C integer literals, or DSCP names shifted into the TOS byte", () => {
  assert.deepEqual(["0", "184", "0xb8", "010", "ef", "EF", "cs3", "af41", "300"].map(tosValue), [0, 184, 184, 8, 184, 184, 96, 136, 44]);
});

test("netmasks print the way Asterisk prints ACL entries", () => {
  assert.equal(netmaskText(parseNetwork("192.0.2.0/24")), "255.255.255.0");
  assert.equal(netmaskText(parseNetwork("10.0.0.0/9")), "255.128.0.0");
  assert.equal(netmaskText(parseNetwork("0.0.0.0/0")), "0.0.0.0");
  assert.equal(netmaskText(parseNetwork("2001:db8::/32")), "ffff:ffff::");
  assert.equal(netmaskText(parseNetwork("::1")), "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
});
