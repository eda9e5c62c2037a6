/**
 * The outgoing spool on a virtual clock: real files in a temporary directory, an
 * Originate that answers as each test scripts it, and time moved by hand. Scheduling by
 * mtime, the settle wait, the retry cycle and what it writes into the file, archiving,
 * malformed files, and an attempt cut short by a restart.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync, unlinkSync, utimesSync, writeFileSync, appendFileSync } from "node:fs";
import { join } from "node:path";
import { VirtualClock } from "../../core/clock.js";
import { MemoryLogger } from "../../core/logger.js";
import { OriginateReason, type OriginateOutcome, type OriginateRequest } from "../../calls/originate.js";
import type { Channel } from "../../calls/channel.js";
import { OutgoingSpool } from "./outgoing-spool.js";
import { tempDir } from "../../core/reap.js";

const SEC = 1_000_000;

function setup(answer: (request: OriginateRequest, n: number) => OriginateReason | Promise<OriginateReason>, maxCalls?: number) {
  const dir = tempDir("recall-spool-");
  const clock = new VirtualClock(Math.floor(Date.now() / 1000) * SEC);
  const logger = new MemoryLogger();
  const calls: { request: OriginateRequest; at: number; recorded: Record<string, string> }[] = [];
  const spool = new OutgoingSpool({
    dir, clock, logger, pid: 4242, watch: false, settleMs: 200, ...(maxCalls ? { maxCalls } : {}),
    originate: async (request) => {
      const reason = await answer(request, calls.length);
      const recorded: Record<string, string> = {};
      calls.push({ request, at: clock.now(), recorded });
      // The channel Originate hands to `settled`: it records what the spool sets on it.
      const channel = { change: (input: { type: string; vars?: Record<string, string> }) => Object.assign(recorded, input.vars) } as unknown as Channel;
      request.settled?.(channel, reason, reason === OriginateReason.ANSWERED ? 16 : 17);
      return { reason, cause: reason === OriginateReason.ANSWERED ? 16 : 17, channel: "PJSIP/6001-00000001" } as OriginateOutcome;
    },
  });
  spool.start();
  /** Drop a call file in with its mtime `offsetSec` from the virtual now. */
  const drop = (name: string, text: string, offsetSec = -1) => {
    const path = join(spool.outgoing, name);
    writeFileSync(path, text);
    const t = clock.now() / SEC + offsetSec;
    utimesSync(path, t, t);
    spool.scan();
  };
  /** Move the clock on, letting each call's promise settle. */
  const advance = async (seconds: number) => {
    const end = clock.now() + seconds * SEC;
    while (clock.now() < end) {
      clock.advanceTo(Math.min(end, clock.now() + SEC / 10));
      await spool.idle();
    }
  };
  return { dir, clock, logger, calls, spool, drop, advance };
}

test("a due file is called once it has settled, with its Channel, dialplan target, caller id, variables and account; Archive: yes keeps it with Status: Completed", async () => {
  const t = setup(() => OriginateReason.ANSWERED);
  t.drop("wake.call", 'Channel: PJSIP/6001\nCallerID: "Wake" <100>\nContext: test\nExtension: 900\nSetvar: FOO=bar\nAccount: a1\nWaitTime: 5\nArchive: yes\n');
  assert.equal(t.calls.length, 0, "not before it settled");
  await t.advance(0.3);
  assert.equal(t.calls.length, 1);
  const r = t.calls[0].request;
  assert.deepEqual([r.channel, r.context, r.exten, r.priority, r.timeoutMs, r.account], ["PJSIP/6001", "test", "900", 1, 5000, "a1"]);
  assert.deepEqual(r.callerId, { name: "Wake", num: "100" });
  assert.deepEqual(r.variables, { FOO: "bar", CALLFILE: "wake.call", CALLFILE_ATTEMPT: "1" });
  assert.deepEqual(t.calls[0].recorded, { CALLFILE_STATUS: "Completed" });
  assert.deepEqual(readdirSync(t.spool.outgoing), []);
  const archived = readFileSync(join(t.spool.done, "wake.call"), "utf8");
  assert.match(archived, /\nStartRetry: 4242 1 \(\d+\)\n/);
  assert.match(archived, /Status: Completed\n$/);
  await t.advance(5);
  assert.equal(t.calls.length, 1, "called once");
  t.spool.stop();
});

test("a file whose mtime is in the future waits for it; without Archive it is deleted once done", async () => {
  const t = setup(() => OriginateReason.ANSWERED);
  t.drop("later.call", "Channel: PJSIP/6001\nApplication: Playback\nData: hello-world\n", 60);
  assert.equal(t.spool.scheduled().size, 1);
  await t.advance(59.5);
  assert.equal(t.calls.length, 0, "not before its time");
  await t.advance(1);
  assert.equal(t.calls.length, 1);
  assert.deepEqual([t.calls[0].request.application, t.calls[0].request.data], ["Playback", "hello-world"]);
  assert.ok(t.calls[0].at >= t.clock.now() - 1 * SEC);
  assert.deepEqual(readdirSync(t.spool.outgoing), []);
  assert.equal(existsSync(t.spool.done), false);
  t.spool.stop();
});

test("busy: retried RetryTime apart, MaxRetries times, the file rewritten at each attempt as Asterisk does; then Status: Expired", async () => {
  const t = setup(() => OriginateReason.BUSY);
  t.drop("busy.call", "Channel: PJSIP/6001\nContext: test\nExtension: 900\nMaxRetries: 2\nRetryTime: 10\nArchive: yes\n");
  await t.advance(0.3);
  assert.equal(t.calls.length, 1);
  const retryAt = Math.ceil(t.calls[0].at / SEC) + 10; // whole seconds, as in the file
  assert.deepEqual(t.calls[0].recorded, { CALLFILE_STATUS: "Retry", CALLFILE_RETRY_AT: String(retryAt) });
  const waiting = readFileSync(join(t.spool.outgoing, "busy.call"), "utf8");
  assert.match(waiting, /StartRetry: 4242 1 \(\d+\)\n\nEndRetry: 4242 1 \(\d+\)\n$/);
  assert.equal(t.spool.scheduled().get("busy.call"), retryAt * 1000, "mtime set to the retry's time");
  await t.advance(9.5);
  assert.equal(t.calls.length, 1, "not before RetryTime");
  await t.advance(25);
  assert.equal(t.calls.length, 3);
  assert.deepEqual(t.calls.map((c) => c.request.variables!.CALLFILE_ATTEMPT), ["1", "2", "3"]);
  const gaps = t.calls.slice(1).map((c, i) => (c.at - t.calls[i].at) / SEC);
  for (const g of gaps) assert.ok(g >= 10 && g < 11.5, `retry ${g} s later`);
  assert.deepEqual(t.calls[2].recorded, { CALLFILE_STATUS: "Expired" });
  const archived = readFileSync(join(t.spool.done, "busy.call"), "utf8");
  assert.equal(archived.match(/StartRetry:/g)!.length, 3);
  assert.equal(archived.match(/EndRetry:/g)!.length, 2);
  assert.match(archived, /Status: Expired\n$/);
  assert.ok(t.logger.lines.some((l) => /expired without completion after 3 attempts/.test(l)));
  await t.advance(30);
  assert.equal(t.calls.length, 3);
  t.spool.stop();
});

test("malformed files are moved to outgoing_failed with Status: Failed and the reason, never called, never looked at again", async () => {
  const t = setup(() => OriginateReason.ANSWERED);
  t.drop("nochannel.call", "Application: Playback\nData: hello-world\n");
  t.drop("nowhere.call", "Channel: PJSIP/6001\nArchive: yes\n");
  t.drop("huge.call", "Channel: PJSIP/6001\nApplication: Echo\n" + "; padding\n".repeat(8000));
  await t.advance(2);
  assert.equal(t.calls.length, 0);
  assert.deepEqual(readdirSync(t.spool.outgoing), []);
  assert.match(readFileSync(join(t.spool.failed, "nochannel.call"), "utf8"), /\nStatus: Failed\nReason: no Channel: line\n$/);
  assert.match(readFileSync(join(t.spool.failed, "nowhere.call"), "utf8"), /Reason: neither Application: nor Extension: is given\n$/);
  assert.match(readFileSync(join(t.spool.failed, "huge.call"), "utf8"), /Reason: too large \(80\d+ bytes, at most 65536\)\n$/);
  assert.ok(t.logger.lines.some((l) => l.includes("Invalid call file") && l.includes("nochannel.call") && l.includes("moved to")));
  t.drop("nochannel.call", "Chanel: PJSIP/6001\nApplication: Echo\n");
  await t.advance(1);
  assert.match(readFileSync(join(t.spool.failed, "nochannel.call.1"), "utf8"), /^Chanel: .*Reason: no Channel: line\n$/s, "the earlier one is kept");
  assert.match(readFileSync(join(t.spool.failed, "nochannel.call"), "utf8"), /^Application: Playback/);
  t.spool.stop();
});

test("a file still being written in place is taken only once it stopped changing; dot files are never taken", async () => {
  const t = setup(() => OriginateReason.ANSWERED);
  t.drop(".tmp.call", "Channel: PJSIP/6001\nApplication: Echo\n");
  t.drop("slow.call", "Channel: PJSIP/6001\n");
  for (let i = 0; i < 5; i++) {
    await t.advance(0.1);
    appendFileSync(join(t.spool.outgoing, "slow.call"), i === 4 ? "Application: Echo\n" : "; more\n");
    const now = t.clock.now() / SEC;
    utimesSync(join(t.spool.outgoing, "slow.call"), now, now);
    t.spool.scan();
  }
  assert.equal(t.calls.length, 0);
  await t.advance(0.5);
  assert.equal(t.calls.length, 1);
  assert.equal(t.calls[0].request.application, "Echo");
  assert.deepEqual(readdirSync(t.spool.outgoing), [".tmp.call"]);
  t.spool.stop();
});

test("an attempt cut short by a stop (StartRetry without EndRetry) is counted: AbortRetry is appended and the file goes on to its next try", async () => {
  const t = setup(() => OriginateReason.BUSY);
  t.drop("cut.call", "Channel: PJSIP/6001\nApplication: Echo\nMaxRetries: 1\nRetryTime: 5\nArchive: yes\n\nStartRetry: 99 1 (1)\n");
  await t.advance(0.3);
  assert.equal(t.calls.length, 1);
  assert.equal(t.calls[0].request.variables!.CALLFILE_ATTEMPT, "2");
  assert.deepEqual(t.calls[0].recorded, { CALLFILE_STATUS: "Expired" });
  const archived = readFileSync(join(t.spool.done, "cut.call"), "utf8");
  assert.match(archived, /AbortRetry: 4242 1 \(\d+\)\n\nStartRetry: 4242 2 \(\d+\)\n/);
  assert.match(archived, /Status: Expired\n$/);
  t.spool.stop();
});

test("AlwaysDelete: no keeps a completed file whose mtime the call moved into the future, and calls it again then; a plain one is deleted", async () => {
  let t!: ReturnType<typeof setup>;
  t = setup((request) => {
    if (request.variables!.CALLFILE === "daily.call" && request.variables!.CALLFILE_ATTEMPT === "1") {
      const tomorrow = t.clock.now() / SEC + 3600; // what the dialplan's System(touch ...) does
      utimesSync(join(t.spool.outgoing, "daily.call"), tomorrow, tomorrow);
    }
    return OriginateReason.ANSWERED;
  });
  t.drop("daily.call", "Channel: PJSIP/6001\nApplication: Echo\nAlwaysDelete: no\nMaxRetries: 5\n");
  await t.advance(0.5);
  assert.equal(t.calls.length, 1);
  assert.ok(existsSync(join(t.spool.outgoing, "daily.call")), "kept");
  assert.equal(t.spool.scheduled().size, 1);
  await t.advance(3600);
  assert.equal(t.calls.length, 2);
  assert.equal(t.calls[1].request.variables!.CALLFILE_ATTEMPT, "2", "its attempts still counted");
  assert.equal(existsSync(join(t.spool.outgoing, "daily.call")), false, "not moved on this time: deleted");
  t.spool.stop();
});

test("a file removed during its call is not written again: no retry", async () => {
  let release!: () => void;
  const t = setup(() => new Promise((resolve) => { release = () => resolve(OriginateReason.BUSY); }));
  t.drop("gone.call", "Channel: PJSIP/6001\nApplication: Echo\nMaxRetries: 3\nRetryTime: 5\n");
  t.clock.advance(0.3 * SEC);
  await new Promise((r) => setImmediate(r));
  assert.ok(release, "called");
  unlinkSync(join(t.spool.outgoing, "gone.call"));
  release();
  await t.advance(20);
  assert.equal(t.calls.length, 1);
  assert.deepEqual(readdirSync(t.spool.outgoing), []);
  assert.ok(t.logger.lines.some((l) => /gone\.call was removed during its call: no retry/.test(l)));
  t.spool.stop();
});

test("a spool directory that cannot be made disables the spool with a warning, nothing thrown", () => {
  const file = join(tempDir("recall-spool-"), "a-file");
  writeFileSync(file, "");
  const logger = new MemoryLogger();
  const spool = new OutgoingSpool({ dir: join(file, "spool"), clock: new VirtualClock(), logger, originate: async () => ({ reason: OriginateReason.FAILURE, cause: 0 }), watch: false });
  assert.equal(spool.start(), false);
  assert.match(logger.lines.join("\n"), /WARNING pbx_spool\.c: Unable to create queue directory .*a-file\/spool\/outgoing -- outgoing spool disabled/);
  spool.stop();
});

test("at most maxCalls files are called at once; the next is taken once a call ends", async () => {
  const releases: (() => void)[] = [];
  const started: string[] = [];
  const t = setup((request) => new Promise((resolve) => {
    started.push(String(request.variables!.CALLFILE));
    releases.push(() => resolve(OriginateReason.ANSWERED));
  }), 2);
  for (const n of ["a", "b", "c"]) t.drop(`${n}.call`, "Channel: PJSIP/6001\nApplication: Echo\n");
  for (let i = 0; i < 10; i++) { t.clock.advance(SEC / 2); await new Promise((r) => setImmediate(r)); }
  assert.deepEqual(started.sort(), ["a.call", "b.call"]);
  releases[0]();
  for (let i = 0; i < 4; i++) { t.clock.advance(SEC / 2); await new Promise((r) => setImmediate(r)); }
  assert.equal(started.length, 3);
  assert.equal(started[2], "c.call");
  releases[1](); releases[2]();
  await t.spool.idle();
  assert.deepEqual(readdirSync(t.spool.outgoing), []);
  t.spool.stop();
});
