import { test } from "node:test";
import assert from "node:assert/strict";
import { coreFunctions, splitArguments, splitFunctionCall, withCoreFunctions } from "./functions.js";

test("application arguments split like AST_STANDARD_APP_ARGS", () => {
  assert.deepEqual(splitArguments("sub-add,s,1(5,7)"), ["sub-add", "s", "1(5,7)"], "commas inside parentheses stay");
  assert.deepEqual(splitArguments("PJSIP/6001&PJSIP/6002,20,tT"), ["PJSIP/6001&PJSIP/6002", "20", "tT"]);
  assert.deepEqual(splitArguments('"a,b",c'), ["a,b", "c"], "quotes protect and are removed");
  assert.deepEqual(splitArguments("a\\,b,c"), ["a,b", "c"], "a backslash makes the next character literal");
  assert.deepEqual(splitArguments("$[${X} = [1,2]],y"), ["$[${X} = [1,2]]", "y"], "commas inside brackets stay");
  assert.deepEqual(splitArguments("a,"), ["a", ""], "a trailing comma gives an empty last argument");
  assert.deepEqual(splitArguments(",a"), ["", "a"]);
  assert.deepEqual(splitArguments(""), []);
  assert.deepEqual(splitArguments("a,b,c,d", ",", 2), ["a", "b,c,d"], "the last argument keeps the rest");
  assert.deepEqual(splitArguments("x=1", "="), ["x", "1"]);
});

test("function calls split into name and argument text", () => {
  assert.deepEqual(splitFunctionCall("CALLERID(num)"), { name: "CALLERID", args: "num" });
  assert.deepEqual(splitFunctionCall("CUT(a(b),c)"), { name: "CUT", args: "a(b),c" });
  assert.deepEqual(splitFunctionCall("LEN(abc"), { name: "LEN", args: "abc" });
  assert.deepEqual(splitFunctionCall("NAME"), { name: "NAME", args: "" });
});

test("LEN and ISNULL are built in; a registry answers first", () => {
  assert.equal(coreFunctions("LEN", "hello"), "5");
  assert.equal(coreFunctions("ISNULL", ""), "1");
  assert.equal(coreFunctions("ISNULL", "x"), "0");
  assert.equal(coreFunctions("CALLERID", "num"), undefined);
  const reader = withCoreFunctions((name) => (name === "LEN" ? "override" : name === "X" ? "x" : undefined));
  assert.equal(reader("LEN", "abc"), "override");
  assert.equal(reader("X", ""), "x");
  assert.equal(reader("ISNULL", ""), "1");
  assert.equal(reader("NOPE", ""), undefined);
});
