import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseConfText } from "../conf/tokenizer.js";
import {
  DEFAULT_FEATURES, DEFAULT_FEATUREMAP, featuresFromDialOptions, loadFeatures, matchFeature, parseFeatures, showFeatures, type FeatureName,
} from "./features.js";
import { tempDir } from "../core/reap.js";

const parse = (text: string) => parseFeatures(parseConfText(text, "features.conf"));

test("no features.conf: Asterisk's defaults (blindxfer #, disconnect *, atxfer off; 1000 ms / 3 s / 15 s)", () => {
  const { config, warnings } = loadFeatures(tempDir("features-"));
  assert.deepEqual(warnings, []);
  assert.equal(config, DEFAULT_FEATURES);
  assert.deepEqual(config.featuremap, { blindxfer: "#", disconnect: "*", automon: "", atxfer: "", parkcall: "", automixmon: "" });
  assert.equal(config.general.featuredigittimeout, 1000);
  assert.equal(config.general.transferdigittimeout, 3);
  assert.equal(config.general.atxfernoanswertimeout, 15);
  assert.deepEqual([config.general.atxferabort, config.general.atxfercomplete, config.general.atxferthreeway, config.general.atxferswap], ["*1", "*2", "*3", "*4"]);
  assert.deepEqual([config.general.xfersound, config.general.xferfailsound, config.general.pickupexten], ["beep", "beeperr", "*8"]);
});

test("[general] and [featuremap] override the defaults; `=>` and `=` both work", () => {
  const { config, warnings } = parse(`
[general]
transferdigittimeout = 5     ; seconds
featuredigittimeout = 1500
atxfernoanswertimeout => 20
atxferdropcall = yes
atxferabort = *9
xfersound = beep
transferdialattempts = 2

[featuremap]
blindxfer => #1
atxfer => *2
disconnect => *0
parkcall => #72
`);
  assert.deepEqual(warnings, []);
  assert.deepEqual(config.featuremap, { blindxfer: "#1", disconnect: "*0", automon: "", atxfer: "*2", parkcall: "#72", automixmon: "" });
  assert.equal(config.general.transferdigittimeout, 5);
  assert.equal(config.general.featuredigittimeout, 1500);
  assert.equal(config.general.atxfernoanswertimeout, 20);
  assert.equal(config.general.atxferdropcall, true);
  assert.equal(config.general.atxferabort, "*9");
  assert.equal(config.general.transferdialattempts, 2);
  assert.equal(config.general.atxfercomplete, "*2", "untouched options keep their defaults");
});

test("an empty code switches a feature off; unknown options, bad numbers and parking options are warned about with file:line", () => {
  const { config, warnings } = parse(`[general]
transferdigittimeout = soon
parkext => 700
colour = blue
[featuremap]
blindxfer =>
teleport => *7
`);
  assert.equal(config.featuremap.blindxfer, "");
  assert.equal(config.general.transferdigittimeout, 3);
  assert.deepEqual(warnings.map((w) => [w.line, w.reason]), [
    [2, "Invalid value 'soon' for 'transferdigittimeout': not a whole number"],
    [3, "Parkinglots are no longer configurable in features.conf; parking is now handled by res_parking.conf"],
    [3, "The option 'parkext' is no longer configurable in features.conf."],
    [4, "Unknown option 'colour' in [general]"],
    [7, "Unknown feature 'teleport' in [featuremap]"],
  ]);
});

test("[applicationmap] items and feature groups are kept (not run yet)", () => {
  const { config, warnings } = parse(`
[applicationmap]
testfeature => #9,peer,Playback,tt-monkeys
pauseMonitor => #1,self/callee,Pausemonitor
unpause => *4,self/both,Playback(beep),default
[shifteight]
testfeature => #6
missing =>
`);
  assert.deepEqual(config.applicationmap.map((a) => [a.name, a.dtmf, a.activateOn, a.app, a.appArgs, a.moh]), [
    ["testfeature", "#9", "peer", "Playback", "tt-monkeys", ""],
    ["pauseMonitor", "#1", "self/callee", "Pausemonitor", "", ""],
    ["unpause", "*4", "self/both", "Playback", "beep", "default"],
  ]);
  assert.deepEqual(config.featuregroups.get("shifteight"), [{ item: "testfeature", dtmf: "#6" }, { item: "missing", dtmf: "" }]);
  assert.deepEqual(warnings.map((w) => w.reason), ["Featuregroup shifteight refers to non-existent applicationmap item"]);
});

test("features.conf is read with the shared tokenizer: #include and templates work", () => {
  const dir = tempDir("features-");
  writeFileSync(join(dir, "features.conf"), "[general]\n#include \"xfer.conf\"\n[featuremap]\natxfer => *3\n");
  writeFileSync(join(dir, "xfer.conf"), "transferdigittimeout = 7\n");
  const { config } = loadFeatures(dir);
  assert.equal(config.general.transferdigittimeout, 7);
  assert.equal(config.featuremap.atxfer, "*3");
});

test("Dial options: t/T enable the transfers for the called/calling party, h/H disconnect, k/K park", () => {
  assert.deepEqual(featuresFromDialOptions({ t: "" }), { callee: ["blindxfer", "atxfer"], caller: [] });
  assert.deepEqual(featuresFromDialOptions({ T: "", h: "" }), { callee: ["disconnect"], caller: ["blindxfer", "atxfer"] });
  assert.deepEqual(featuresFromDialOptions({ K: "", w: "", X: "" }), { callee: ["automon"], caller: ["parkcall", "automixmon"] });
  assert.deepEqual(featuresFromDialOptions({ g: "", L: "500" }), { callee: [], caller: [] });
});

test("matching digits against codes: match, a prefix to wait on, an ambiguous code, no feature", () => {
  const codes = new Map<FeatureName, string>([["blindxfer", "#"], ["atxfer", "*2"], ["disconnect", "*"], ["parkcall", ""]]);
  assert.deepEqual(matchFeature("#", codes), { kind: "match", feature: "blindxfer" });
  assert.deepEqual(matchFeature("*", codes), { kind: "ambiguous", feature: "disconnect" });
  assert.deepEqual(matchFeature("*2", codes), { kind: "match", feature: "atxfer" });
  assert.deepEqual(matchFeature("*5", codes), { kind: "none" });
  assert.deepEqual(matchFeature("5", codes), { kind: "none" });
  const transfers = new Map<FeatureName, string>([["blindxfer", "#1"], ["atxfer", "*2"]]);
  assert.deepEqual(matchFeature("#", transfers), { kind: "prefix" });
  assert.deepEqual(matchFeature("#1", transfers), { kind: "match", feature: "blindxfer" });
  assert.deepEqual(matchFeature("", new Map<FeatureName, string>([["blindxfer", ""]])), { kind: "none" }, "an empty code never matches");
});

test("features show lists built-in features with their default and current codes", () => {
  const text = showFeatures({ ...DEFAULT_FEATURES, featuremap: { ...DEFAULT_FEATUREMAP, atxfer: "*2" } });
  assert.match(text, /^Builtin Feature {11}Default Current/);
  assert.match(text, /\nBlind Transfer {12}# {7}# {6}\n/);
  assert.match(text, /\nAttended Transfer {9}\s{7} \*2/);
  assert.match(text, /\nDynamic Feature[\s\S]*\(none\)\n\nFeature Groups:\n---------------\n\(none\)\n$/);
});
