import { test } from "node:test";
import assert from "node:assert/strict";
import { SeededRandom } from "../core/random.js";
import {
  canMatchExtension, extensionExists, findExtension, findHint, findLabel, isIgnoredPattern, matchMoreExtension, type FindResult,
} from "./lookup.js";
import { HINT } from "./model.js";
import { loadDialplan, parseDialplan } from "./parser.js";

const load = (text: string) => parseDialplan(text, "extensions.conf", { lenient: true }).dialplan;

/** "context/extension:priority App(data)" of what would run, or the reason it would not. */
function what(r: FindResult): string {
  if (r.kind === "found") return `${r.context}/${r.extension.name}:${r.priority.priority} ${r.priority.app}(${r.priority.appData})`;
  if (r.kind === "switch") return `switch ${r.switch.module}/${r.switch.data} in ${r.context} #${r.index}`;
  return r.reason;
}

test("seed worked example: Alice dials 6421 and _64NX runs", () => {
  const dp = load(`[users]
exten => _6XX1,1,SayAlpha(A)
exten => _64XX,1,SayAlpha(B)
exten => _640X,1,SayAlpha(C)
exten => _6.,1,SayAlpha(D)
exten => _64NX,1,SayAlpha(E)
exten => _6[45]NX,1,SayAlpha(F)
exten => _6[34]NX,1,SayAlpha(G)
`);
  assert.equal(what(findExtension(dp, "users", "6421", "6001", 1)), "users/_64NX:1 SayAlpha(E)");
  assert.equal(what(findExtension(dp, "users", "6401", "6001", 1)), "users/_640X:1 SayAlpha(C)");
  assert.equal(what(findExtension(dp, "users", "6321", "6001", 1)), "users/_6[34]NX:1 SayAlpha(G)");
  assert.equal(what(findExtension(dp, "users", "6001", "6001", 1)), "users/_6XX1:1 SayAlpha(A)");
  assert.equal(what(findExtension(dp, "users", "6", "6001", 1)), "no-extension");
  assert.equal(what(findExtension(dp, "users", "6abc", "6001", 1)), "users/_6.:1 SayAlpha(D)");
});

test("seed caller-ID example: 306 from 101, 102 and others", () => {
  const dp = load("[in]\nexten => 306/_101,1,Playback(hello-alice)\nexten => 306/_102,1,Playback(hello-bob)\nexten => 306,1,Playback(default-prompt)\n");
  assert.equal(what(findExtension(dp, "in", "306", "101", 1)), "in/306:1 Playback(hello-alice)");
  assert.equal(what(findExtension(dp, "in", "306", "102", 1)), "in/306:1 Playback(hello-bob)");
  assert.equal(what(findExtension(dp, "in", "306", "103", 1)), "in/306:1 Playback(default-prompt)");
  assert.equal(what(findExtension(dp, "in", "306", undefined, 1)), "in/306:1 Playback(default-prompt)");
});

test("search order: exact, then patterns, then includes (depth-first), then switches", () => {
  const dp = load(`[main]
switch => Remote/main
include => first
include => second
exten => 1234,1,NoOp(exact)
exten => _12XX,1,NoOp(pattern)
[first]
include => deeper
exten => _1XXX,1,NoOp(first)
[deeper]
exten => _2XXX,1,NoOp(deeper)
switch => Remote/deeper
[second]
exten => _2XXX,1,NoOp(second)
exten => _3XXX,1,NoOp(second)
`);
  const at = (exten: string, skipSwitches = 0) => what(findExtension(dp, "main", exten, undefined, 1, { skipSwitches }));
  assert.equal(at("1234"), "main/1234:1 NoOp(exact)");
  assert.equal(at("1299"), "main/_12XX:1 NoOp(pattern)");
  assert.equal(at("1999"), "first/_1XXX:1 NoOp(first)");
  assert.equal(at("2000"), "deeper/_2XXX:1 NoOp(deeper)", "an include's own includes come before the next include");
  assert.equal(at("3000"), "switch Remote/deeper in deeper #0", "switches of an included context come before later includes");
  assert.equal(at("3000", 1), "second/_3XXX:1 NoOp(second)", "a switch that said no is skipped");
  assert.equal(at("4000"), "switch Remote/deeper in deeper #0");
  assert.equal(at("4000", 1), "switch Remote/main in main #1", "the context's own switches come last");
  assert.equal(at("4000", 2), "no-extension");
});

test("seed 'how calling 6001 may go wrong': priority 3 comes from the catch-all", () => {
  const dp = load(`[users]
include => features
include => catchall
exten => 6001,1,Dial(SIP/demo-alice,20)
same => n,VoiceMail(6001@vm-demo,u)
[features]
exten => 6000,1,Answer(500)
[catchall]
exten => _.,1,NoOp()
exten => _.,2,NoOp()
exten => _.,3,NoOp()
`);
  assert.equal(what(findExtension(dp, "users", "6001", "", 2)), "users/6001:2 VoiceMail(6001@vm-demo,u)");
  assert.equal(what(findExtension(dp, "users", "6001", "", 3)), "catchall/_.:3 NoOp()");
  assert.equal(what(findExtension(dp, "users", "6001", "", 4)), "no-priority");
});

test("the next best match per priority: _.! with 'n' runs after any extension's first line", () => {
  const dp = load("[example]\nexten => 100,1,NoOp(one hundred)\nexten => 200,1,NoOp(two hundred)\nexten => _.!,n,Verbose(1,after)\n");
  assert.equal(what(findExtension(dp, "example", "100", "", 2)), "example/_.!:2 Verbose(1,after)");
  assert.equal(what(findExtension(dp, "example", "200", "", 2)), "example/_.!:2 Verbose(1,after)");
  assert.equal(what(findExtension(dp, "example", "300", "", 1)), "no-priority");
});

test("labels and hints", () => {
  const dp = load("[c]\nexten => 6001,hint,PJSIP/6001\nexten => _6XXX,1,Dial(PJSIP/${EXTEN})\n same => n(busy),Busy()\n");
  assert.equal(findLabel(dp, "c", "6001", "busy"), 2);
  assert.equal(findLabel(dp, "c", "6001", "nope"), undefined);
  assert.equal(what(findExtension(dp, "c", "6001", "", "nope")), "no-label");
  assert.equal(findHint(dp, "c", "6001")?.app, "PJSIP/6001");
  assert.equal(findHint(dp, "c", "6002"), undefined);
  assert.equal(what(findExtension(dp, "c", "6001", "", HINT)), "c/6001:-1 PJSIP/6001()");
  assert.equal(what(findExtension(dp, "c", "6001", "", 1)), "c/_6XXX:1 Dial(PJSIP/${EXTEN})", "a hint alone does not run");
});

test("what is missing: context, extension, priority", () => {
  const dp = load("[c]\nexten => 1,1,NoOp\n");
  assert.equal(what(findExtension(dp, "nope", "1", "", 1)), "no-context");
  assert.equal(what(findExtension(dp, "c", "2", "", 1)), "no-extension");
  assert.equal(what(findExtension(dp, "c", "1", "", 2)), "no-priority");
  assert.equal(extensionExists(dp, "c", "1"), true);
  assert.equal(extensionExists(dp, "c", "1", undefined, 2), false);
});

test("include loops end", () => {
  const dp = load("[a]\ninclude => b\n[b]\ninclude => A\ninclude => a\n[A]\ninclude => b\n");
  assert.equal(what(findExtension(dp, "a", "1", "", 1)), "no-extension");
});

test("time-based includes: open, closed, and skipped without a time", () => {
  const dp = load("[main]\ninclude => day,9:00-17:00,mon-fri,*,*,UTC\ninclude => night\n[day]\nexten => s,1,NoOp(day)\n[night]\nexten => s,1,NoOp(night)\n");
  const mondayNoon = Date.UTC(2024, 0, 15, 12) * 1000, mondayNight = Date.UTC(2024, 0, 15, 22) * 1000;
  assert.equal(what(findExtension(dp, "main", "s", "", 1, { now: mondayNoon })), "day/s:1 NoOp(day)");
  assert.equal(what(findExtension(dp, "main", "s", "", 1, { now: mondayNight })), "night/s:1 NoOp(night)");
  assert.equal(what(findExtension(dp, "main", "s", "", 1)), "night/s:1 NoOp(night)");
});

test("overlap dialling: canmatch, matchmore and the '!' that ends the wait", () => {
  const dp = load("[c]\nexten => _9.,1,Dial(x)\nexten => _1!,1,Dial(y)\nexten => 600,1,NoOp\ninclude => more\n[more]\nexten => 6001,1,NoOp\n");
  assert.equal(matchMoreExtension(dp, "c", "9"), true);
  assert.equal(extensionExists(dp, "c", "9"), false);
  assert.equal(matchMoreExtension(dp, "c", "1"), false, "'!' says: stop waiting");
  assert.equal(extensionExists(dp, "c", "1"), true);
  assert.equal(matchMoreExtension(dp, "c", "600"), true, "6001 in an included context could still come");
  assert.equal(extensionExists(dp, "c", "600"), true);
  assert.equal(canMatchExtension(dp, "c", "60"), true);
  assert.equal(canMatchExtension(dp, "c", "7"), false);
  assert.equal(matchMoreExtension(dp, "c", "6001"), false);
});

test("ignore patterns", () => {
  const dp = load("[c]\nignorepat => 9\nignorepat => _8X\n");
  assert.equal(isIgnoredPattern(dp, "c", "9"), true);
  assert.equal(isIgnoredPattern(dp, "c", "81"), true);
  assert.equal(isIgnoredPattern(dp, "c", "91"), false);
  assert.equal(isIgnoredPattern(dp, "nope", "9"), false);
});

test("the sample dialplan routes its documented calls", () => {
  const dp = loadDialplan("infra/sample-config/extensions.conf").dialplan;
  const run = (exten: string, priority: number | string = 1, context = "from-internal") => what(findExtension(dp, context, exten, "6001", priority));
  assert.equal(run("6002"), "from-internal/_6XXX:1 NoOp(Internal call from ${CALLERID(num)} to ${EXTEN})");
  assert.equal(run("6002", 3), "from-internal/_6XXX:3 Dial(PJSIP/${EXTEN},${RING_TIME})");
  assert.equal(findLabel(dp, "from-internal", "6003", "busy"), 5);
  assert.equal(run("914165551212", 2), "from-internal/_9.:2 Dial(PJSIP/${EXTEN:1}@${TRUNK},${OUTBOUND_TIMEOUT})");
  assert.equal(run("*43", 3), "features/*43:3 Echo()");
  assert.equal(run("7100"), "from-internal/7100:1 Answer()");
  assert.equal(run("s", 3, "sub-add"), "sub-add/s:3 Return(${TOTAL})");
  assert.equal(run("h"), "from-internal/h:1 NoOp(Call from ${CALLERID(num)} ended: cause ${HANGUPCAUSE}, dial status ${DIALSTATUS})");
  assert.equal(run("5551234", 1, "from-trunk"), "from-trunk/_X.:1 Goto(from-internal,s,1)");
  assert.equal(findHint(dp, "from-internal", "6002")?.app, "PJSIP/6002");
});

test("1,000 random dialled strings against the sample dialplan never throw", () => {
  const dp = loadDialplan("infra/sample-config/extensions.conf").dialplan;
  const rnd = new SeededRandom(2024);
  const alphabet = "0123456789*#abcdefXYZ+-_.![]/()@$%{}\\ \u0000\u0001\u0007\t\n\r\u001b\u007f\u00e9\u4e2d\ud83d";
  const kinds = new Map<string, number>();
  for (let i = 0; i < 1000; i++) {
    let s = "";
    for (let n = rnd.next32() % 20; n > 0; n--) s += alphabet[rnd.next32() % alphabet.length];
    for (const context of ["from-internal", "from-trunk", "features", "sub-add", "missing"]) {
      for (const priority of [1, 2, 5, HINT, "busy"]) {
        const r = findExtension(dp, context, s, s, priority);
        kinds.set(r.kind, (kinds.get(r.kind) ?? 0) + 1);
      }
      canMatchExtension(dp, context, s);
      matchMoreExtension(dp, context, s);
    }
  }
  assert.ok((kinds.get("found") ?? 0) > 0 && (kinds.get("none") ?? 0) > 0, "both outcomes are exercised");
});
