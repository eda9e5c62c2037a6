import { test } from "node:test";
import assert from "node:assert/strict";
import {
  bareName, getVariable, inheritanceOf, inheritVariables, lookupVariable, parseAssignment, setVariable, variablesFrom, type VariableList,
} from "./variables.js";

test("a variable set with _ or __ reads under its bare name", () => {
  let vars: VariableList = [];
  vars = setVariable(vars, "_FOO", "bar");
  vars = setVariable(vars, "__UUID", "1700000000.1");
  assert.equal(getVariable(vars, "FOO"), "bar");
  assert.equal(getVariable(vars, "UUID"), "1700000000.1");
  assert.equal(getVariable(vars, "_FOO"), undefined);
  assert.equal(bareName("__X"), "X");
  assert.equal(bareName("___X"), "_X", "only two underscores are a prefix");
  assert.equal(inheritanceOf("_X"), "child");
  assert.equal(inheritanceOf("__X"), "descendants");
  assert.equal(inheritanceOf("X"), "none");
});

test("setting replaces any variant of the name; undefined removes; empty is a value", () => {
  let vars = variablesFrom([["FOO", "1"], ["BAR", "2"]]);
  vars = setVariable(vars, "__FOO", "3");
  assert.deepEqual(vars, [{ name: "__FOO", value: "3" }, { name: "BAR", value: "2" }]);
  vars = setVariable(vars, "FOO", "");
  assert.equal(getVariable(vars, "FOO"), "");
  assert.equal(inheritVariables(vars).length, 0, "plain FOO replaced __FOO, so nothing is inherited any more");
  vars = setVariable(vars, "BAR", undefined);
  assert.equal(getVariable(vars, "BAR"), undefined);
  assert.equal(getVariable(vars, "count"), undefined);
});

test("inheritance: _VAR reaches the child only, __VAR every descendant", () => {
  const caller = variablesFrom([["_ONE", "1"], ["__ALL", "a"], ["LOCAL", "l"]]);
  const child = inheritVariables(caller);
  assert.equal(getVariable(child, "ONE"), "1");
  assert.equal(getVariable(child, "ALL"), "a");
  assert.equal(getVariable(child, "LOCAL"), undefined);
  assert.deepEqual(child.map((v) => v.name).sort(), ["ONE", "__ALL"]);
  const grandchild = inheritVariables(child);
  assert.equal(getVariable(grandchild, "ONE"), undefined, "one level only");
  assert.equal(getVariable(grandchild, "ALL"), "a");
  assert.equal(getVariable(inheritVariables(inheritVariables(grandchild)), "ALL"), "a");
});

test("lookup order: built-ins, then channel, then globals", () => {
  const scope = {
    builtin: (n: string) => (n === "CONTEXT" ? "from-internal" : undefined),
    channel: variablesFrom([["CONTEXT", "x"], ["A", ""]]),
    globals: variablesFrom([["A", "global"], ["TRUNK", "PJSIP/trunk"]]),
  };
  assert.equal(lookupVariable(scope, "CONTEXT"), "from-internal");
  assert.equal(lookupVariable(scope, "A"), "", "an empty channel variable hides the global");
  assert.equal(lookupVariable(scope, "TRUNK"), "PJSIP/trunk");
  assert.equal(lookupVariable({}, "TRUNK"), undefined);
});

test("Set() assignments split at the first '='", () => {
  assert.deepEqual(parseAssignment("_FOO=a=b"), { name: "_FOO", value: "a=b" });
  assert.deepEqual(parseAssignment("X="), { name: "X", value: "" });
  assert.equal(parseAssignment("novalue"), undefined);
});
