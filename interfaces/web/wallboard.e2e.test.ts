/**
 * The wallboard end to end: a real `recall start` with a queue whose one member is a
 * sipp phone, chromium (headless) on /queues, and a sipp caller placing a queue call.
 * The board must go idle → ringing → in call → wrap-up → idle with the waiting count
 * and the answered counter following; each member state change must show within
 * 500 ms of its transition's time in the log (read back from DATA/log, read-only).
 * Screenshots in test-artifacts/web/.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { freePort, startRecall, type RecallProcess } from "../cli/recall-process.js";
import { callerCalleePjsip } from "../../sip/call/test-phones.js";
import { startSipp } from "../../sip/sipp/sipp.js";
import { uacCall, uasCall } from "../../sip/sipp/call-scenarios.js";
import { SegmentLog } from "../../events/embedded/segment-log.js";
import { artifacts, CHROMIUM, launchChromium } from "./browser.js";

const skip = !existsSync(CHROMIUM) ? "chromium is not installed (apt-get install chromium)" : false;
let recall: RecallProcess;
let sipPort: number, httpPort: number, agentPort: number;
let files: Record<string, string>;

before(async () => {
  if (skip) return;
  [sipPort, httpPort, agentPort] = [await freePort(), await freePort(), await freePort()];
  recall = await startRecall(files = {
    "pjsip.conf": callerCalleePjsip(sipPort, agentPort, { context: "web", callee: "alice" }),
    "extensions.conf": "[web]\nexten => 300,1,Answer()\n same => n,Queue(support)\n same => n,Hangup()\n",
    "queues.conf": "[support]\nstrategy = ringall\ntimeout = 10\nretry = 1\nwrapuptime = 2\nservicelevel = 20\nmember => PJSIP/alice,0,Alice\n",
    "http.conf": `[general]\nenabled = yes\nbindaddr = 127.0.0.1\nbindport = ${httpPort}\n`,
    "manager.conf": "[general]\nenabled = no\n[supervisor]\nsecret = s3cret\nread = reporting\n",
  });
});

after(async () => { await recall?.stop(); });

test("the wallboard follows a queue call placed by sipp, each member change within 500 ms of the log", { skip, timeout: 180_000 }, async () => {
  const { context, close } = await launchChromium();
  const page = await context.newPage();
  try {
    await page.goto(`http://127.0.0.1:${httpPort}/queues`);
    await page.fill("input[name=username]", "supervisor");
    await page.fill("input[name=secret]", "s3cret");
    await Promise.all([page.waitForURL(/\/queues$/), page.click("button[type=submit]")]);
    await page.waitForSelector("#live.on", { timeout: 10_000 });
    const badge = 'section[data-queue=support] tr[data-interface="PJSIP/alice"] .m';
    assert.equal(await page.textContent(badge), "idle");
    await page.screenshot({ path: join(artifacts, "10-queues-idle.png"), fullPage: true });
    // Every change of the member's badge and of the waiting count, with the browser's clock.
    await page.evaluate(`(() => {
      window.seen = [];
      const note = () => {
        const m = document.querySelector(${JSON.stringify(badge)})?.textContent ?? "";
        const waiting = document.querySelector("section[data-queue=support] .waiting-count")?.textContent ?? "";
        const last = window.seen.at(-1);
        if (!last || last.what !== m + "/" + waiting) window.seen.push({ what: m + "/" + waiting, at: Date.now() });
      };
      new MutationObserver(note).observe(document.getElementById("board"), { childList: true, subtree: true, characterData: true });
      note();
    })()`);
    const showing = (status: string) => page.waitForFunction(`document.querySelector(${JSON.stringify(badge)})?.textContent === ${JSON.stringify(status)}`, undefined, { timeout: 15_000 });
    const agent = startSipp({ scenario: uasCall({ ringMs: 1500, status: 200 }), localPort: agentPort, calls: 1, timeoutMs: 60_000 });
    await new Promise((r) => setTimeout(r, 500));
    const caller = startSipp({ scenario: uacCall({ exten: "300", from: "5551234", holdMs: 2500 }), target: `127.0.0.1:${sipPort}`, calls: 1, timeoutMs: 60_000 });
    await showing("ringing");
    await page.screenshot({ path: join(artifacts, "11-queues-ringing.png"), fullPage: true });
    await showing("in call");
    await page.screenshot({ path: join(artifacts, "12-queues-incall.png"), fullPage: true });
    await showing("wrap-up");
    await showing("idle");
    assert.equal((await caller.done).code, 0, "caller");
    assert.equal((await agent.done).code, 0, "agent");
    assert.equal(await page.textContent("section[data-queue=support] .answered"), "1");
    await page.screenshot({ path: join(artifacts, "13-queues-after.png"), fullPage: true });
    const seen = await page.evaluate("window.seen") as { what: string; at: number }[];
    const states = seen.map((s) => s.what);
    assert.ok(states.includes("ringing/1") && states.includes("in call/0") && states.includes("wrap-up/0"), states.join(" → "));

    // Each member transition in the log against the first time the board showed it.
    const log = await SegmentLog.open(join(recall.dataDir, "log"), { readOnly: true });
    const shown: Record<string, string> = { incall: "in call", wrapup: "wrap-up" };
    const lags: number[] = [];
    try {
      for await (const batch of log.read(0)) for (const r of batch) {
        if (r.kind !== "queue-member" || !shown[String(r.state.value)]) continue;
        const at = r.time / 1000;
        const first = seen.find((s) => s.what.startsWith(`${shown[String(r.state.value)]}/`) && s.at >= at - 50);
        assert.ok(first, `the board never showed ${r.state.value} (offset ${r.offset})`);
        lags.push(first.at - at);
      }
    } finally { await log.close(); }
    assert.equal(lags.length, 2, "in call and wrap-up, once each");
    for (const lag of lags) assert.ok(lag < 500, `shown ${lag.toFixed(0)} ms after the transition was logged`);
    process.stdout.write(`# wallboard lag after the log: ${lags.map((l) => `${l.toFixed(0)} ms`).join(", ")}\n`);
    // The queue call's timeline holds the queue's and the member's transitions beside the channels'.
    for (let i = 0; i < 40; i++) { // the CDR projection writes a few times a second
      await page.goto(`http://127.0.0.1:${httpPort}/cdr?dst=300`);
      if (await page.locator("a.timeline").count()) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    await Promise.all([page.waitForURL(/\/calls\//), page.click("a.timeline")]);
    const actorsSeen = await page.locator("#log tbody tr td:nth-child(3)").allTextContents();
    assert.ok(actorsSeen.includes("queue:support") && actorsSeen.some((a) => a.startsWith("queue-member:support/")), [...new Set(actorsSeen)].join(", "));
    await page.screenshot({ path: join(artifacts, "15-queue-call-timeline.png"), fullPage: true });
    // A phone's screen.
    await page.goto(`http://127.0.0.1:${httpPort}/queues`);
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: join(artifacts, "14-queues-phone.png"), fullPage: true });
  } catch (e) {
    await page.screenshot({ path: join(artifacts, "failed-queues.png"), fullPage: true }).catch(() => undefined);
    throw e;
  } finally {
    await close();
  }
});

test("after a restart the board's day still holds the call (from queue_log), and queue reset stats does not zero it", { skip, timeout: 120_000 }, async () => {
  await recall.stop();
  recall = await startRecall(files, { dataDir: recall.dataDir });
  const auth = { authorization: `Basic ${Buffer.from("supervisor:s3cret").toString("base64")}` };
  const answered = async () => /<b class="answered">(\d+)<\/b>/.exec(await (await fetch(`http://127.0.0.1:${httpPort}/queues`, { headers: auth })).text())?.[1];
  const until = Date.now() + 30_000;
  while ((await answered()) !== "1" && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
  assert.equal(await answered(), "1", "the call answered before the restart");
  assert.doesNotMatch(await (await fetch(`http://127.0.0.1:${httpPort}/queues`, { headers: auth })).text(), /since Recall started/);
  await recall.cli("queue reset stats support");
  assert.equal(await answered(), "1");
});
