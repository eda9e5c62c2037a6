import { test } from "node:test";
import assert from "node:assert/strict";
import { alphaFiles, digitFiles, numberFiles } from "./say.js";

test("English number, digit and letter prompts", () => {
  assert.deepEqual(numberFiles(0), ["digits/0"]);
  assert.deepEqual(numberFiles(15), ["digits/15"]);
  assert.deepEqual(numberFiles(42), ["digits/40", "digits/2"]);
  assert.deepEqual(numberFiles(100), ["digits/1", "digits/hundred"]);
  assert.deepEqual(numberFiles(-7), ["digits/minus", "digits/7"]);
  assert.deepEqual(numberFiles(1_234_567), [
    "digits/1", "digits/million", "digits/2", "digits/hundred", "digits/30", "digits/4", "digits/thousand",
    "digits/5", "digits/hundred", "digits/60", "digits/7",
  ]);
  assert.deepEqual(digitFiles("1*#-x9"), ["digits/1", "digits/star", "digits/pound", "digits/minus", "digits/9"]);
  assert.deepEqual(alphaFiles("aZ3 ."), ["letters/a", "letters/z", "digits/3", "letters/space", "letters/dot"]);
});
