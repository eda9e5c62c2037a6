/**
 * The web console end to end: a real `recall start` with http.conf and manager.conf,
 * calls placed by sipp (one answered, one busy) so the CDR/CEL projections hold rows,
 * Debian's chromium (headless, playwright-core) logging in, filtering by disposition
 * and date, opening a call's timeline; screenshots in test-artifacts/web/. Then bad
 * input over plain HTTP: no credentials, wrong ones (logged for fail2ban), SQL
 * metacharacters in every filter, huge values, path traversal, an oversized head —
 * and the PBX still takes a call afterwards.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { request } from "node:http";
import { connect } from "node:net";
import { join } from "node:path";
import { assertLogged, freePort, messages, startRecall, type RecallProcess } from "../cli/recall-process.js";
import { callerCalleePjsip } from "../../sip/call/test-phones.js";
import { runSipp } from "../../sip/sipp/sipp.js";
import { uacCall } from "../../sip/sipp/call-scenarios.js";
import { artifacts, CHROMIUM, launchChromium } from "./browser.js";

const skip = !existsSync(CHROMIUM) ? "chromium is not installed (apt-get install chromium)" : false;
let recall: RecallProcess;
let sipPort: number, httpPort: number;
const base = () => `http://127.0.0.1:${httpPort}`;
const basic = (user: string, secret: string) => `Basic ${Buffer.from(`${user}:${secret}`).toString("base64")}`;
const SUPERVISOR = basic("supervisor", "s3cret");

async function get(path: string, headers: Record<string, string> = { Authorization: SUPERVISOR }) {
  const r = await fetch(`${base()}${path}`, { headers, redirect: "manual", signal: AbortSignal.timeout(15_000) });
  return { status: r.status, text: await r.text(), headers: r.headers };
}

/** A raw request (no URL normalisation by the client), bounded. */
function raw(head: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port: httpPort, method: "GET", path: head, headers: { Authorization: SUPERVISOR }, timeout: 10_000 }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (d: string) => { body += d; }).on("end", () => resolve(`${res.statusCode} ${body}`));
    });
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", reject);
    req.end();
  });
}

const call = async (exten: string, expect: number, holdMs?: number) => {
  const r = await runSipp({ scenario: uacCall({ exten, from: exten === "100" ? "1001" : "1002", expect, ...(holdMs ? { holdMs } : {}) }), target: `127.0.0.1:${sipPort}`, calls: 1, timeoutMs: 30_000 });
  assert.equal(r.code, 0, `sipp to ${exten}: ${r.errors}${r.stderr}`);
};

/** Wait (bounded) until the projection shows `n` calls. */
async function calls(n: number, timeoutMs = 20_000): Promise<string> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const page = await get("/cdr?sort=start");
    if (page.text.includes(`<span class="calls">${n}</span> calls,`)) return page.text;
    if (Date.now() > until) assert.fail(`the console never showed ${n} calls:\n${page.status} ${page.text.slice(0, 3000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

before(async () => {
  if (skip) return;
  [sipPort, httpPort] = [await freePort(), await freePort()];
  recall = await startRecall({
    "pjsip.conf": callerCalleePjsip(sipPort, await freePort(), { context: "web" }),
    "extensions.conf": "[web]\nexten => 100,1,Answer()\n same => n,MixMonitor(web-\${UNIQUEID}.wav)\n same => n,Wait(1)\n same => n,Hangup()\nexten => 200,1,Busy(5)\n",
    "http.conf": `[general]\nenabled = yes\nbindaddr = 127.0.0.1\nbindport = ${httpPort}\nsession_inactivity = 3000\n`,
    "manager.conf": "[general]\nenabled = no\n[supervisor]\nsecret = s3cret\nread = cdr,call\nwrite = \n[agent]\nsecret = agent\nread = call\n[analyst]\nsecret = numbers\nread = reporting\n",
  });
  await call("100", 200);
  await call("200", 486);
  await calls(2);
});

after(async () => { await recall?.stop(); });

test("nothing is served without credentials; refused logins are logged for fail2ban", { skip }, async () => {
  for (const path of ["/cdr", "/cdr.csv", "/cdr/count?src=100", "/calls/1.1", "/", "/cdr?src=100"]) {
    const r = await get(path, {});
    assert.equal(r.status, 401, path);
    assert.match(r.headers.get("www-authenticate") ?? "", /^Basic realm="Recall"/);
    assert.doesNotMatch(r.text, /<table|class="call"|1001/, `${path} leaks records`);
  }
  const browser = await get("/cdr", { Accept: "text/html" });
  assert.equal(browser.status, 401);
  assert.match(browser.text, /<form class="login"/);
  assert.equal((await get("/cdr", { Authorization: basic("supervisor", "wrong") })).status, 401);
  await assertLogged(recall.dataDir, /NOTICE\[\d+\] http\.c: 127\.0\.0\.1 failed to authenticate as 'supervisor'\n/);
  assert.equal((await get("/cdr", { Authorization: basic("nobody", "x") })).status, 401);
  await assertLogged(recall.dataDir, /NOTICE\[\d+\] http\.c: 127\.0\.0\.1 tried to authenticate with nonexistent user 'nobody'\n/);
  // A user without read=cdr or reporting is refused; one with reporting is let in.
  assert.equal((await get("/cdr", { Authorization: basic("agent", "agent") })).status, 403);
  assert.equal((await get("/cdr?sort=start", { Authorization: basic("analyst", "numbers") })).status, 200);
  const bare = await get("/cdr");
  assert.equal(bare.status, 303);
  assert.match(bare.headers.get("location") ?? "", /^\/cdr\?from=/);
});

test("in chromium: log in, filter by disposition and date, open a call's timeline", { skip, timeout: 180_000 }, async () => {
  const { context, close } = await launchChromium();
  const page = await context.newPage();
  try {
    const first = await page.goto(`${base()}/cdr`);
    assert.equal(first?.status(), 401);
    await page.screenshot({ path: join(artifacts, "01-login.png") });
    await page.fill("input[name=username]", "supervisor");
    await page.fill("input[name=secret]", "wrong");
    await Promise.all([page.waitForLoadState(), page.click("button[type=submit]")]);
    assert.match(await page.textContent(".error") ?? "", /Authentication failed/);
    await page.fill("input[name=username]", "supervisor");
    await page.fill("input[name=secret]", "s3cret");
    await Promise.all([page.waitForURL(/\/cdr\?from=/), page.click("button[type=submit]")]);
    // A bare /cdr opens the last 24 hours, in the URL.
    assert.match(decodeURIComponent(page.url()), /\/cdr\?from=\d{4}-\d\d-\d\dT\d\d:\d\d$/);
    assert.match(await page.textContent("#count") ?? "", /^2 calls, 2 records/);
    assert.equal(await page.locator("#cdr tbody.call").count(), 2);
    await page.screenshot({ path: join(artifacts, "02-cdr.png"), fullPage: true });

    // Filter: BUSY, from today (UTC).
    const today = new Date().toISOString().slice(0, 10);
    await page.check("input[name=disposition][value=BUSY]");
    await page.fill("input[name=from]", `${today}T00:00`);
    await Promise.all([page.waitForURL(/disposition=BUSY/), page.click("button[type=submit]")]);
    assert.match(page.url(), new RegExp(`from=${today}T00%3A00`));
    assert.match(await page.textContent("#count") ?? "", /^1 calls, 1 records/);
    assert.deepEqual(await page.locator("#cdr .st").allTextContents(), ["BUSY"]);
    await page.screenshot({ path: join(artifacts, "03-cdr-busy.png"), fullPage: true });
    // The URL is the view: opened again, it shows the same.
    const bookmarked = page.url();
    await page.goto(`${base()}/cdr?sort=start`);
    await page.goto(bookmarked);
    assert.deepEqual(await page.locator("#cdr .st").allTextContents(), ["BUSY"]);
    // A date range that holds no call.
    await page.goto(`${base()}/cdr?from=2001-01-01&to=2001-01-02`);
    assert.match(await page.textContent("#count") ?? "", /^0 calls/);

    // The answered call's timeline.
    await page.goto(`${base()}/cdr?disposition=ANSWERED`);
    await Promise.all([page.waitForURL(/\/calls\//), page.click("a.timeline")]);
    const events = await page.locator("#events tbody tr td:nth-child(3)").allTextContents();
    assert.ok(events.includes("CHAN_START") && events.includes("ANSWER") && events.includes("HANGUP"), events.join(","));
    assert.ok(events.indexOf("CHAN_START") < events.indexOf("ANSWER") && events.indexOf("ANSWER") < events.indexOf("HANGUP"));
    assert.equal(await page.locator("#swimlane rect").count() > 0, true);
    // The log's transitions of the call: the channel's, with dialplan and SIP inputs among them.
    const inputs = await page.locator("#log tbody tr td:nth-child(4)").allTextContents();
    assert.ok(inputs.length > 3 && inputs.some((i) => i.startsWith("sip:")) && inputs.some((i) => i.startsWith("dialplan:")), inputs.join(","));
    // The slider: every actor's state at the first transition, then at the last.
    const states = async () => (await page.locator("#state tbody tr").allTextContents()).join(" | ");
    const atEnd = await states();
    await page.locator("#at").fill("0");
    assert.match(await page.textContent("#at-event") ?? "", /^After 1 of /);
    assert.notEqual(await states(), atEnd);
    // The recording MixMonitor kept plays from the page.
    const src = await page.locator("audio").getAttribute("src");
    assert.ok(src, "an audio element");
    const wav = await page.request.get(`${base()}${src}`);
    assert.equal(wav.status(), 200);
    assert.equal(wav.headers()["content-type"], "audio/wav");
    assert.equal((await wav.body()).subarray(0, 4).toString(), "RIFF");
    await page.screenshot({ path: join(artifacts, "04-timeline.png"), fullPage: true });

    // A phone's screen.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${base()}/cdr?sort=start`);
    await page.screenshot({ path: join(artifacts, "05-cdr-phone.png"), fullPage: true });

    // Logged out, the pages are refused again.
    await page.goto(`${base()}/logout`);
    const again = await page.goto(`${base()}/cdr`);
    assert.equal(again?.status(), 401);
  } catch (e) {
    await page.screenshot({ path: join(artifacts, "failed.png"), fullPage: true }).catch(() => undefined);
    throw new Error(`${(e as Error).message}\nat ${page.url()}:\n${(await page.content().catch(() => "")).slice(-3000)}`, { cause: e });
  } finally {
    await close();
  }
});

test("SQL metacharacters and huge values in every filter are data, never SQL", { skip }, async () => {
  const evil = ["' OR '1'='1", "1001' --", "%' UNION SELECT secret FROM system.users --", "\\' OR 1=1 #", "1001\"; DROP TABLE cdr; --", "{src:String}", "\u0000'"];
  for (const field of ["src", "dst", "accountcode", "linkedid", "uniqueid"]) {
    for (const value of evil) {
      const r = await get(`/cdr?${field}=${encodeURIComponent(value)}`);
      assert.equal(r.status, 200, `${field}=${value}: ${r.text.slice(0, 300)}`);
      assert.match(r.text, />0<\/span> calls, 0 records/, `${field}=${value} matched rows`);
    }
  }
  // The quote in a LIKE pattern is a character: a caller number with one would match.
  assert.match((await get(`/cdr?src=${encodeURIComponent("1001*")}`)).text, />1<\/span> calls, 1 records/);
  // Fields that take a fixed set or a number refuse anything else with 400 naming the field.
  const bad: [string, RegExp][] = [
    ["disposition=" + encodeURIComponent("ANSWERED' OR '1'='1"), /disposition/], ["sort=" + encodeURIComponent("start; DROP TABLE cdr"), /sort/],
    ["dir=" + encodeURIComponent("desc, (SELECT 1)"), /dir/], ["duration=" + encodeURIComponent("1 OR 1=1"), /duration/], ["duration=99999999999999999999", /duration/],
    ["from=" + encodeURIComponent("2026-01-01' OR '1'='1"), /from/], ["to=2026-02-30", /to/], ["page=-1", /page/], ["size=1000000", /size/],
    ["src=" + "9".repeat(500), /src: at most 128/], ["linkedid=" + "'".repeat(2000), /linkedid: at most 128/],
  ];
  for (const [query, field] of bad) for (const path of ["/cdr", "/cdr/count"]) {
    const r = await get(`${path}?${query}`);
    assert.equal(r.status, 400, `${path} ${query.slice(0, 80)}`);
    assert.match(r.text, field);
    assert.doesNotMatch(r.text, /Exception|ClickHouse|SELECT/, "no engine text leaks");
  }
  // The count the page's script asks for when a count is slow: the same filter, as JSON.
  const count = await get(`/cdr/count?src=${encodeURIComponent("' OR '1'='1")}`);
  assert.deepEqual([count.status, JSON.parse(count.text)], [200, { calls: 0, rows: 0, pages: 1 }]);
  assert.deepEqual(JSON.parse((await get("/cdr/count?disposition=BUSY")).text), { calls: 1, rows: 1, pages: 1 });
  // A URL beyond the server's head limit is refused before any query.
  assert.equal((await get(`/cdr?src=${"9".repeat(20_000)}`)).status, 431);
  // The CSV export takes the same filter: the busy call only, and still every row after all this.
  const csv = await get("/cdr.csv?disposition=BUSY");
  assert.equal(csv.status, 200);
  assert.equal(csv.text.trim().split("\n").length, 2, csv.text);
  assert.match(csv.text, /"BUSY"/);
  assert.match(await calls(2), />2<\/span> calls, 2 records/);
});

test("path traversal, oversized heads and slow clients get clear 4xx; the PBX keeps taking calls", { skip, timeout: 120_000 }, async () => {
  assert.match(await raw("/calls/..%2F..%2F..%2Fetc%2Fpasswd"), /^400 /);
  assert.match(await raw("/calls/../../etc/passwd"), /^40[04] /);
  assert.match(await raw("/calls/%E0%A4%A"), /^400 /);
  assert.match(await raw("/calls/1733000000.999"), /^404 /);
  assert.match(await raw("/calls/1733000000.999/recording/..%2F..%2Fpasswd"), /^400 /);
  assert.match(await raw("/calls/1733000000.999/recording/0"), /^404 /);
  assert.match(await raw("/static/../../../../etc/passwd"), /^404 /);
  const big = await fetch(`${base()}/cdr`, { headers: { Authorization: SUPERVISOR, "X-Big": "x".repeat(20_000) }, signal: AbortSignal.timeout(10_000) }).catch((e: Error) => e);
  assert.ok(big instanceof Error || big.status === 431, "an oversized head is refused");
  // A login form too large for its purpose.
  const form = await fetch(`${base()}/login`, { method: "POST", body: "username=" + "a".repeat(10_000), headers: { "Content-Type": "application/x-www-form-urlencoded" }, signal: AbortSignal.timeout(10_000) }).catch((e: Error) => e);
  assert.ok(form instanceof Error || form.status === 413);
  // A slow client (half a request head, then nothing) does not hold up anyone else, and is cut off with 408.
  const slow = connect(httpPort, "127.0.0.1");
  let slowAnswer = "";
  slow.setEncoding("utf8").on("data", (d: string) => { slowAnswer += d; });
  const slowClosed = new Promise<void>((r) => slow.on("close", () => r()));
  slow.on("error", () => undefined);
  slow.write(`GET /cdr HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${SUPERVISOR}\r\n`);
  assert.equal((await get("/cdr?sort=start")).status, 200);
  await Promise.race([slowClosed, new Promise((_, reject) => setTimeout(() => reject(new Error("the slow client was never cut off")), 15_000))]);
  assert.match(slowAnswer, /^HTTP\/1\.1 408/);
  await call("100", 200);
  await calls(3);
  assert.doesNotMatch(messages(recall.dataDir), /ERROR\[\d+\] http/);
});
