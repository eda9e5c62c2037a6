/**
 * The HTTP manager as AJAM clients use it: plain HTTP requests (node's fetch) with the
 * `mansession_id` cookie, over a real log and a real HTTP server: login, actions by
 * query string and by form POST, the three formats, WaitEvent taking the events of
 * calls, MD5 challenge, permissions, Logoff, and bad input.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { MemoryLogger } from "../../core/logger.js";
import { SystemClock } from "../../core/clock.js";
import * as calls from "../../projections/test/calls.js";
import { freePort } from "../cli/recall-process.js";
import { HttpServer } from "../http/server.js";
import { AmiServer } from "./server.js";
import { HttpManager } from "./http-manager.js";
import { managerBody, splitMessages } from "./http-format.js";
import { parseManagerConf } from "./config.js";
import { parseConfText, resolveTemplates } from "../../conf/tokenizer.js";
import { createHash } from "node:crypto";
import type { Pbx } from "./pbx.js";

const pbx = { hangup: () => false, channels: () => [] } as unknown as Pbx;

async function setup(maxPending?: number) {
  const { config } = parseManagerConf(resolveTemplates(parseConfText(`
[general]
enabled = yes
webenabled = yes
port = ${await freePort()}
bindaddr = 127.0.0.1
httptimeout = 20
[admin]
secret = a
read = all
write = all
[board]
secret = b
read = call
write = call
`, "manager.conf")));
  const d = await calls.CallDriver.open();
  const logger = new MemoryLogger();
  const ami = new AmiServer({ config, log: d.log, pbx, logger, clock: new SystemClock(), version: "test", startedAt: 0, ...(maxPending ? { maxPending } : {}) });
  await ami.start();
  const http = new HttpServer({ http: { host: "127.0.0.1", port: 0 }, prefix: "", sessionLimit: 100, sessionInactivityMs: 30_000, sessionKeepAliveMs: 15_000 });
  await http.start();
  const manager = new HttpManager(ami);
  manager.mount(http);
  const base = `http://127.0.0.1:${http.plain!.port}`;
  const stop = async () => { await http.stop(); await ami.stop(); await d.log.close(); };
  return { d, ami, http, manager, logger, base, stop };
}

/** One AJAM client: keeps the cookie the server sets, as a browser would. */
function client(base: string) {
  let cookie = "";
  const request = async (path: string, params: Record<string, string>, init: RequestInit = {}) => {
    const url = init.method === "POST" ? `${base}${path}` : `${base}${path}?${new URLSearchParams(params)}`;
    const res = await fetch(url, { ...init, headers: { ...(cookie ? { cookie } : {}), ...(init.headers as Record<string, string> ?? {}) },
      ...(init.method === "POST" ? { body: new URLSearchParams(params).toString() } : {}) });
    const set = res.headers.get("set-cookie");
    if (set) cookie = set.split(";")[0];
    return { status: res.status, type: res.headers.get("content-type") ?? "", setCookie: set, text: await res.text() };
  };
  return { request, rawman: (params: Record<string, string>) => request("/rawman", params), cookie: () => cookie };
}

test("rawman: Permission denied before login, Authentication failed, then a session by cookie: actions, errors, WaitEvent with the events of calls, Logoff", async () => {
  const { d, base, logger, stop } = await setup();
  try {
    const c = client(base);
    assert.match((await c.rawman({ action: "Ping" })).text, /^Response: Error\r\nMessage: Permission denied\r\n\r\n$/);
    const bad = await c.rawman({ action: "Login", username: "admin", secret: "wrong" });
    assert.match(bad.text, /^Response: Error\r\nMessage: Authentication failed\r\n/);
    assert.equal(bad.setCookie, null, "a failed login keeps no session");
    assert.ok(logger.lines.some((l) => /NOTICE manager\.c: 127\.0\.0\.1 failed to authenticate as 'admin'/.test(l)), "fail2ban's line");
    const login = await c.rawman({ action: "login", username: "admin", secret: "a" });
    assert.equal(login.status, 200);
    assert.match(login.type, /^text\/plain/);
    assert.match(login.text, /^Response: Success\r\nMessage: Authentication accepted\r\n\r\n$/);
    assert.match(login.setCookie ?? "", /^mansession_id="[0-9a-f]{16}"; Version=1; Max-Age=20$/);
    assert.ok(logger.lines.some((l) => /HTTP Manager 'admin' logged on from 127\.0\.0\.1/.test(l)));
    assert.match((await c.rawman({ action: "Ping", actionid: "p1" })).text, /^Response: Success\r\nActionID: p1\r\nPing: Pong\r\n/);
    assert.match((await c.rawman({ action: "NoSuchThing" })).text, /^Response: Error\r\nMessage: Invalid\/unknown command\r\n\r\n$/);
    assert.match((await c.rawman({ action: "Hangup" })).text, /^Response: Error\r\nMessage: No channel specified\r\n\r\n$/);
    assert.match((await c.rawman({ action: "Originate" })).text, /^Response: Error\r\nMessage: Channel not specified\r\n\r\n$/);
    // What came since login waits for WaitEvent: FullyBooted at once.
    const first = await c.rawman({ action: "WaitEvent", timeout: "5" });
    assert.match(first.text, /^Response: Success\r\nMessage: Waiting for Event completed\.\r\n\r\nEvent: FullyBooted\r\n[^]*\r\n\r\nEvent: WaitEventComplete\r\n\r\n$/);
    // Nothing waiting: it waits for the next event, here a call's.
    const started = Date.now();
    const waiting = c.rawman({ action: "WaitEvent", timeout: "10", actionid: "w" });
    await new Promise((r) => setTimeout(r, 300));
    calls.answered(d);
    await d.records();
    const got = await waiting;
    assert.ok(Date.now() - started < 5000, "answered when the events came, not at the timeout");
    assert.match(got.text, /^Response: Success\r\nActionID: w\r\nMessage: Waiting for Event completed\.\r\n\r\nEvent: Newchannel\r\nPrivilege: call,all\r\n/);
    assert.match(got.text, /Event: WaitEventComplete\r\nActionID: w\r\n\r\n$/);
    // Every event of the call reaches the session, in log order, over however many WaitEvents.
    let text = got.text;
    while (!text.includes("Event: Hangup\r\nPrivilege: call,all\r\nChannel: PJSIP/1001")) text += (await c.rawman({ action: "WaitEvent", timeout: "2" })).text;
    const offsets = [...text.matchAll(/RecallOffset: (\d+)/g)].map((m) => Number(m[1]));
    assert.deepEqual(offsets, [...offsets].sort((a, b) => a - b));
    // An empty wait ends at its timeout with no events.
    const t0 = Date.now();
    assert.match((await c.rawman({ action: "WaitEvent", timeout: "1" })).text, /^Response: Success\r\n[^]*\r\n\r\nEvent: WaitEventComplete\r\n\r\n$/);
    assert.ok(Date.now() - t0 >= 900);
    assert.match((await c.rawman({ action: "Logoff" })).text, /^Response: Goodbye\r\n/);
    assert.match((await c.rawman({ action: "Ping" })).text, /Message: Permission denied/, "the cookie names no session after Logoff");
  } finally { await stop(); }
});

test("mxml and manager formats, a form POST, MD5 challenge on one cookie, write classes, and bad input", async () => {
  const { base, manager, stop } = await setup();
  try {
    const c = client(base);
    const xml = await c.request("/mxml", { action: "Login", username: "admin", secret: "a", actionid: "x1" });
    assert.match(xml.type, /^text\/xml/);
    assert.equal(xml.text, "<ajax-response>\n<response type='object' id='unknown'><generic response='Success' actionid='x1' message='Authentication accepted' /></response>\n</ajax-response>\n");
    const html = await c.request("/manager", { action: "Ping" });
    assert.match(html.type, /^text\/html/);
    assert.match(html.text, /<tr><td>Response<\/td><td>Success<\/td><\/tr>\n<tr><td>Ping<\/td><td>Pong<\/td><\/tr>/);
    const posted = await c.request("/rawman", { action: "CoreSettings" }, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" } });
    assert.match(posted.text, /^Response: Success\r\nAMIversion: 11\.0\.0\r\n/);
    // MD5: Challenge keeps a short session; Login with the key on the same cookie.
    const m = client(base);
    const [, challenge] = /Challenge: (\d+)/.exec((await m.rawman({ action: "Challenge", authtype: "MD5" })).text)!;
    assert.ok(m.cookie().startsWith("mansession_id="));
    const key = createHash("md5").update(challenge + "b").digest("hex");
    assert.match((await m.rawman({ action: "Login", authtype: "MD5", username: "board", key })).text, /Message: Authentication accepted/);
    // board may write call, not system or originate.
    assert.match((await m.rawman({ action: "DBPut", family: "f", key: "k", val: "v" })).text, /^Response: Error\r\nMessage: Permission denied\r\n/);
    assert.match((await m.rawman({ action: "Originate", channel: "PJSIP/1" })).text, /^Response: Error\r\nMessage: Permission denied\r\n/);
    // Bad input: no action, too many parameters, a body over the bound, a method it does not take.
    assert.match((await c.rawman({})).text, /^Response: Error\r\nMessage: Missing action in request\r\n/);
    const many = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`h${i}`, "x"]));
    assert.match((await c.rawman({ action: "Ping", ...many })).text, /^Response: Error\r\nMessage: Message refused: more than 128 headers\r\n/);
    const big = await fetch(`${base}/rawman`, { method: "POST", body: `action=Ping&x=${"y".repeat(100_000)}` }).catch((e: Error) => e);
    assert.ok(!(big instanceof Error), `the client gets an answer: ${String(big)}`);
    assert.equal((big as Response).status, 413);
    assert.equal((await fetch(`${base}/rawman`, { method: "PUT" })).status, 405);
    // Requests that keep no session leave none behind; the two logged in remain.
    for (let i = 0; i < 20; i++) await client(base).rawman({ action: "Login", username: "nobody", secret: "x" });
    assert.equal(manager.size, 2);
    assert.match((await c.rawman({ action: "Ping" })).text, /Ping: Pong/, "the server goes on");
  } finally { await stop(); }
});

test("a session that never takes its events is ended at the bound, logged; a session that does gets them all", async () => {
  const { d, base, logger, manager, stop } = await setup(64 * 1024);
  try {
    const idle = client(base), reader = client(base);
    for (const c of [idle, reader]) await c.rawman({ action: "Login", username: "admin", secret: "a" });
    let text = "";
    for (let i = 0; i < 40; i++) {
      calls.answered(d);
      await d.records();
      text += (await reader.rawman({ action: "WaitEvent", timeout: "1" })).text;
    }
    while (!text.endsWith("Event: WaitEventComplete\r\n\r\n") || text.split("Event: Hangup\r\n").length - 1 < 80) text += (await reader.rawman({ action: "WaitEvent", timeout: "1" })).text;
    assert.equal(text.split("Event: Hangup\r\n").length - 1, 80, "every call's two hang-ups");
    assert.ok(logger.lines.some((l) => /WARNING manager\.c: HTTP Manager 'admin' at 127\.0\.0\.1 does not take its events \(over \d+ bytes waiting\); session ended/.test(l)), logger.lines.join("\n"));
    assert.match((await idle.rawman({ action: "Ping" })).text, /Message: Permission denied/);
    assert.equal(manager.size, 1);
  } finally { await stop(); }
});

test("formats: XML attribute names and escaping, repeated headers numbered, ajaxdest; HTML escapes", () => {
  const text = "Response: Success\r\nMessage: Command output follows\r\nOutput: a <b> & 'c'\r\nOutput: d\r\nCaller-ID: x\r\n\r\nEvent: E\r\n\r\n";
  assert.deepEqual(splitMessages(text).map((m) => m.length), [5, 1]);
  assert.equal(managerBody("xml", text, [["ajaxdest", "box"]]), "<ajax-response>\n"
    + "<response type='object' id='box'><generic response='Success' message='Command output follows' output='a &lt;b&gt; &amp; &apos;c&apos;' output-2='d' caller_id='x' /></response>\n"
    + "<response type='object' id='box'><generic event='E' /></response>\n</ajax-response>\n");
  assert.match(managerBody("html", text), /<tr><td>Output<\/td><td>a &lt;b&gt; &amp; &apos;c&apos;<\/td><\/tr>/);
  assert.equal(managerBody("raw", text), text);
});
