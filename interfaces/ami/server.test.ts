/**
 * The AMI server over a real log and real sockets, without the SIP side: many clients
 * get every event in log order; Events masks and eventfilter choose what each gets; a
 * client that never reads is dropped at its bound and logged, the others go on.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createConnection, type Socket } from "node:net";
import { MemoryLogger } from "../../core/logger.js";
import { SystemClock } from "../../core/clock.js";
import * as calls from "../../projections/test/calls.js";
import { freePort } from "../cli/recall-process.js";
import { AmiServer } from "./server.js";
import { parseManagerConf } from "./config.js";
import { parseConfText, resolveTemplates } from "../../conf/tokenizer.js";
import type { Pbx } from "./pbx.js";

const unused = () => { throw new Error("not used here"); };
const pbx = new Proxy({}, { get: () => unused }) as unknown as Pbx;

async function setup(maxPending?: number) {
  const port = await freePort();
  const { config } = parseManagerConf(resolveTemplates(parseConfText(`
[general]
enabled = yes
port = ${port}
bindaddr = 127.0.0.1
[admin]
secret = a
read = all
write = all
[quiet]
secret = q
read = all
eventfilter = !Event: (VarSet|Newexten|DeviceStateChange)
`, "manager.conf")));
  const d = await calls.CallDriver.open();
  const logger = new MemoryLogger();
  const server = new AmiServer({ config, log: d.log, pbx, logger, clock: new SystemClock(), version: "test", startedAt: 0, ...(maxPending ? { maxPending } : {}) });
  await server.start();
  return { d, server, logger, port };
}

function client(port: number, user: string, secret: string, extra = "") {
  const socket: Socket = createConnection(port, "127.0.0.1");
  let text = "", hangups = 0, scanned = 0;
  socket.setEncoding("utf8");
  // Hang-ups are counted as the text arrives: scanning megabytes on every poll would starve the server under test.
  socket.on("data", (s: string) => {
    text += s;
    for (let i = text.indexOf("Event: Hangup\r\n", scanned); i >= 0; i = text.indexOf("Event: Hangup\r\n", i + 1)) hangups++;
    scanned = Math.max(0, text.length - 15);
  });
  socket.write(`Action: Login\r\nUsername: ${user}\r\nSecret: ${secret}\r\n${extra}\r\n`);
  return { socket, text: () => text, hangups: () => hangups };
}

const until = async (cond: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!cond()) { if (Date.now() > end) throw new Error("timed out"); await new Promise((r) => setTimeout(r, 20)); }
};

test("twenty clients get every event of fifty calls, in log order; masks and filters choose what each gets", async () => {
  const { d, server, port } = await setup();
  try {
    const all = Array.from({ length: 20 }, () => client(port, "admin", "a"));
    const callsOnly = client(port, "admin", "a", "Events: call\r\n");
    const quiet = client(port, "quiet", "q");
    await until(() => [...all, callsOnly, quiet].every((c) => c.text().includes("Authentication accepted")));
    for (let i = 0; i < 50; i++) calls.answered(d);
    await d.records();
    await until(() => [...all, callsOnly, quiet].every((c) => c.hangups() === 100));
    const offsets = (t: string) => [...t.matchAll(/RecallOffset: (\d+)/g)].map((m) => Number(m[1]));
    const first = offsets(all[0].text());
    assert.deepEqual(first, [...first].sort((a, b) => a - b));
    for (const c of all) assert.deepEqual(offsets(c.text()), first);
    assert.ok(!callsOnly.text().includes("Event: VarSet") && !callsOnly.text().includes("Event: Newexten"), "dialplan class masked out");
    assert.ok(callsOnly.text().includes("Event: DialBegin"));
    assert.ok(!/Event: (VarSet|Newexten|DeviceStateChange)/.test(quiet.text()), "eventfilter applied");
    assert.ok(quiet.text().includes("Event: BridgeEnter"));
    for (const c of [...all, callsOnly, quiet]) c.socket.destroy();
  } finally {
    await server.stop();
    await d.log.close();
  }
});

test("a client that never reads is dropped at its bound, logged; a reading client gets everything", async () => {
  const { d, server, logger, port } = await setup(256 * 1024);
  try {
    const stuck = client(port, "admin", "a");
    const reader = client(port, "admin", "a");
    await until(() => stuck.text().includes("Authentication accepted") && reader.text().includes("Authentication accepted"));
    stuck.socket.pause();
    let closed = false;
    stuck.socket.on("close", () => { closed = true; });
    for (let i = 0; i < 600; i++) calls.answered(d);
    await d.records();
    await until(() => reader.hangups() === 1200, 30_000).catch((e) => { throw new Error(`${e.message}: reader saw ${reader.hangups()} hangups, stuck closed: ${closed}, log ${d.log.nextOffset}, ${logger.lines.join(" / ")}`); });
    const dropped = logger.lines.filter((l) => /WARNING manager\.c: Manager 'admin' at 127\.0\.0\.1 does not read its events \(over 262144 bytes waiting\); disconnecting/.test(l));
    assert.equal(dropped.length, 1, logger.lines.join("\n"));
    // It was cut off: reading now, it sees the end of the connection, not the calls' last events.
    stuck.socket.resume();
    await until(() => closed);
    assert.ok(stuck.hangups() < 1200);
    reader.socket.destroy();
  } finally {
    await server.stop();
    await d.log.close();
  }
});
