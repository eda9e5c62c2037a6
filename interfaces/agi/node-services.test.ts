/**
 * AGI's Node links against real sockets and processes: a FastAGI connection's lines,
 * its HANGUP, a refused connection, an over-long line; a local program's lines, its
 * exit status, SIGHUP on hang-up, a missing or non-executable program; the idle limit;
 * and each exchange recorded as an agi.command input.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Socket } from "node:net";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { nodeAgiServices, MAX_LINE } from "./node-services.js";
import type { ActorRuntime } from "../../actors/runtime.js";
import type { AgiLink, AgiOpen } from "../../dialplan/apps/agi/services.js";
import { tempDir } from "../../core/reap.js";

const sent: unknown[] = [];
const runtime = { send: (id: string, input: unknown) => { sent.push([id, input]); return undefined; } } as unknown as ActorRuntime;
const dir = tempDir("recall-agi-links-");
const services = nodeAgiServices({ runtime, agiDir: dir, version: "test" });

function linkOf(o: AgiOpen): AgiLink {
  assert.equal(o.kind, "open", JSON.stringify(o));
  return (o as { link: AgiLink }).link;
}

async function server(onConnection: (s: Socket) => void): Promise<{ port: number; close: () => void }> {
  const srv = createServer(onConnection);
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
  return { port: (srv.address() as { port: number }).port, close: () => srv.close() };
}

test("FastAGI: lines both ways, HANGUP sent on hang-up, the server closing; a refused port fails; a line over the limit is an error; silence times out", async () => {
  const received: string[] = [];
  const s = await server((sock) => {
    sock.setEncoding("utf8");
    sock.on("data", (d: string) => {
      received.push(d);
      if (d.includes("agi_request")) sock.write("ANSWER\nNOOP\n");
      if (d.includes("HANGUP")) sock.end();
    });
  });
  try {
    const link = linkOf(await services.connect("127.0.0.1", s.port, 2000));
    link.send("agi_request: agi://x\n\n");
    assert.deepEqual(await link.next(2000), { kind: "line", text: "ANSWER" });
    assert.deepEqual(await link.next(2000), { kind: "line", text: "NOOP" });
    link.send("200 result=0\n");
    link.hangup();
    assert.equal((await link.next(2000)).kind, "closed");
    link.close();
    assert.ok(received.join("").includes("200 result=0\nHANGUP\n"));
  } finally { s.close(); }

  const refused = await server(() => undefined);
  refused.close();
  await new Promise((r) => setTimeout(r, 50));
  const r = await services.connect("127.0.0.1", refused.port, 2000);
  assert.equal(r.kind, "failed");
  assert.match((r as { message: string }).message, /ECONNREFUSED/);

  const long = await server((sock) => { sock.write("x".repeat(MAX_LINE + 10)); });
  try {
    const link = linkOf(await services.connect("127.0.0.1", long.port, 2000));
    const read = await link.next(2000);
    assert.equal(read.kind, "error");
    link.close();
  } finally { long.close(); }

  const silent = await server(() => undefined);
  try {
    const link = linkOf(await services.connect("127.0.0.1", silent.port, 2000));
    assert.deepEqual(await link.next(100), { kind: "timeout" });
    link.close();
  } finally { silent.close(); }
});

test("a local program: arguments, lines both ways, its exit status; SIGHUP on hang-up; missing and non-executable programs", async () => {
  const script = join(dir, "echo.agi");
  writeFileSync(script, `#!/bin/sh\nread env\necho "VERBOSE \\"$1 $env\\""\nread answer\nexit 3\n`);
  chmodSync(script, 0o755);
  const link = linkOf(await services.spawn("echo.agi", ["arg1"], { enhanced: false, sighup: true }));
  link.send("agi_request: echo.agi\n");
  assert.deepEqual(await link.next(5000), { kind: "line", text: 'VERBOSE "arg1 agi_request: echo.agi"' });
  link.send("200 result=1\n");
  assert.deepEqual(await link.next(5000), { kind: "closed", exitCode: 3 });
  link.close();

  const waiter = join(dir, "wait.agi");
  writeFileSync(waiter, "#!/bin/sh\ntrap 'echo GOT-HUP; exit 0' HUP\necho READY\nwhile true; do sleep 0.05; done\n");
  chmodSync(waiter, 0o755);
  const w = linkOf(await services.spawn(waiter, [], { enhanced: true, sighup: true }));
  assert.deepEqual(await w.next(5000), { kind: "line", text: "READY" });
  w.hangup();
  assert.deepEqual(await w.next(5000), { kind: "line", text: "GOT-HUP" });
  assert.deepEqual(await w.next(5000), { kind: "closed", exitCode: 0 });
  w.close();

  assert.equal((await services.spawn("nosuch.agi", [], { enhanced: false, sighup: true })).kind, "notfound");
  const plain = join(dir, "plain.agi");
  writeFileSync(plain, "not executable");
  const r = await services.spawn(plain, [], { enhanced: false, sighup: true });
  assert.equal(r.kind, "failed");
});

test("an exchange is recorded as an agi.command input of the channel actor, source agi", () => {
  sent.length = 0;
  services.record("channel:1.1", "NOOP", "200 result=0");
  assert.deepEqual(sent, [["channel:1.1", { source: "agi", type: "agi.command", command: "NOOP", result: "200 result=0" }]]);
});
