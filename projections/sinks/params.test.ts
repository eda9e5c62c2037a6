import { test } from "node:test";
import assert from "node:assert/strict";
import { inlineParams, ParamError, quoteString } from "./params.js";

test("a String value is one literal whatever it holds", () => {
  assert.equal(quoteString("it's"), "'it\\'s'");
  assert.equal(quoteString("a\\' OR 1=1 --"), "'a\\\\\\' OR 1=1 --'");
  assert.equal(quoteString("x\ny\u0000"), "'x\\x0ay\\x00'");
  // Every quote inside is escaped: the literal ends only at the last character.
  for (const evil of ["'", "\\'", "\\\\'", "''; DROP TABLE cdr; --", "\\"]) {
    const q = quoteString(evil);
    const body = q.slice(1, -1);
    assert.doesNotMatch(body.replace(/\\./g, ""), /'/, evil);
  }
});

test("placeholders become literals of their type; anything else is refused", () => {
  assert.equal(inlineParams("SELECT * FROM cdr WHERE src LIKE {src:String} AND duration > {d:UInt32} AND disposition IN {ds:Array(String)}",
    { src: "%1'%", d: 5, ds: ["BUSY", "NO ANSWER"] }),
  "SELECT * FROM cdr WHERE src LIKE '%1\\'%' AND duration > 5 AND disposition IN ('BUSY', 'NO ANSWER')");
  assert.equal(inlineParams("SELECT has({ds:Array(String)}, 'x')", { ds: ["x'"] }), "SELECT has(['x\\''], 'x')");
  assert.throws(() => inlineParams("{d:UInt32}", { d: "1 OR 1=1" }), ParamError);
  assert.throws(() => inlineParams("{x:String}", {}), ParamError);
  assert.throws(() => inlineParams("{x:Date}", { x: "2020-01-01" }), ParamError);
});
