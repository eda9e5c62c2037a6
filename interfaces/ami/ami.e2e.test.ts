/**
 * AMI end to end: a real `recall start` with manager.conf, a sipp phone registered as
 * 6001, and real clients: npm asterisk-manager (login, actions, events, permissions),
 * Python panoramisk running seed 003's example (Originate to the phone, its events,
 * logoff), a raw socket for resuming from a log offset and for bad input; then
 * `recall replay --verify` on the log all this wrote.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { createConnection, type Socket } from "node:net";
import { createRequire } from "node:module";
import { writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort, assertLogged, startRecall, type RecallProcess } from "../cli/recall-process.js";
import { packageRoot } from "../cli/paths.js";
import { runSipp, startSipp } from "../../sip/sipp/sipp.js";
import { registerWithAuth } from "../../sip/sipp/scenarios.js";
import { uasCall } from "../../sip/sipp/call-scenarios.js";
import { python3 } from "../../core/python.js";
import { tempDir } from "../../core/reap.js";

const run = promisify(execFile);
const require = createRequire(import.meta.url);
let recall: RecallProcess;
let sipPort: number, amiPort: number, phonePort: number, phone2Port: number, httpPort: number;

const pjsip = (port: number, phone2Port: number) => `
[udp]
type = transport
protocol = udp
bind = 127.0.0.1:${port}
[6001]
type = endpoint
context = ami-test
disallow = all
allow = ulaw
auth = 6001
aors = 6001
[6001]
type = auth
auth_type = userpass
username = 6001
password = secret-6001
[6001]
type = aor
max_contacts = 1
[6002]
type = endpoint
context = ami-test
disallow = all
allow = ulaw
aors = 6002
[6002]
type = aor
contact = sip:6002@127.0.0.1:${phone2Port}
`;

const extensions = `
[ami-test]
exten => 100,1,Answer()
 same => n,Set(AMI_SEEN=yes)
 same => n,Wait(1)
 same => n,Hangup()
exten => 150,1,Dial(PJSIP/6002)
 same => n,Hangup()
exten => 200,1,Set(TRANSFERRED=yes)
 same => n,Wait(1)
 same => n,Hangup()
exten => 300,1,Answer()
 same => n,Wait(20)
 same => n,Hangup()
exten => 400,1,Answer()
 same => n,Read(DIGITS,,1,,,10)
 same => n,Set(GOT=\${DIGITS})
 same => n,Hangup()
exten => 6002,hint,PJSIP/6002
`;

const manager = (port: number, web = "webenabled = yes") => `
[general]
enabled = yes
${web}
port = ${port}
bindaddr = 127.0.0.1

[admin]
secret = mypassword
deny = 0.0.0.0/0.0.0.0
permit = 127.0.0.1/255.255.255.255
read = all
write = all

[wallboard]
secret = board
read = call
write = call
`;

const httpConf = (port: number) => `[general]\nenabled = yes\nbindaddr = 127.0.0.1\nbindport = ${port}\n`;

before(async () => {
  [sipPort, amiPort, phonePort, phone2Port, httpPort] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
  recall = await startRecall({ "pjsip.conf": pjsip(sipPort, phone2Port), "extensions.conf": extensions, "manager.conf": manager(amiPort), "http.conf": httpConf(httpPort) });
  await recall.waitFor(/AMI listening on 127\.0\.0\.1:\d+ \(2 users\)/);
  const reg = await runSipp({ scenario: registerWithAuth({ expires: 600 }), target: `127.0.0.1:${sipPort}`, calls: 1, localPort: phonePort, inject: "SEQUENTIAL\n6001;secret-6001\n", timeoutMs: 20_000 });
  assert.equal(reg.code, 0, reg.errors);
});
after(async () => { await recall?.stop(); });

/** A bare AMI connection: write actions, wait for text. */
class RawClient {
  text = "";
  readonly socket: Socket;
  private readonly waiters = new Set<() => void>();
  constructor(port: number) {
    this.socket = createConnection(port, "127.0.0.1");
    this.socket.setEncoding("utf8");
    this.socket.on("data", (d: string) => { this.text += d; for (const w of this.waiters) w(); });
    this.socket.on("close", () => { for (const w of this.waiters) w(); });
  }
  send(headers: Record<string, string>): void {
    this.socket.write(Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("") + "\r\n");
  }
  until(pattern: RegExp, timeoutMs = 10_000): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const m = this.text.match(pattern);
        if (m) { cleanup(); resolve(m); } else if (this.socket.destroyed) { cleanup(); reject(new Error(`closed before ${pattern}:\n${this.text}`)); }
      };
      const timer = setTimeout(() => { cleanup(); reject(new Error(`timed out waiting for ${pattern}:\n${this.text.slice(-3000)}`)); }, timeoutMs);
      const cleanup = () => { clearTimeout(timer); this.waiters.delete(check); };
      this.waiters.add(check);
      check();
    });
  }
  close(): void { this.socket.destroy(); }
}

interface AmiClient {
  on(event: string, fn: (e: Record<string, string>) => void): void;
  action(a: Record<string, unknown>, cb: (err: Record<string, string> | undefined, res: Record<string, string>) => void): void;
  disconnect(): void;
}
function managerClient(user: string, secret: string): AmiClient {
  const AsteriskManager = require("asterisk-manager") as new (port: number, host: string, user: string, secret: string, events: boolean) => AmiClient;
  return new AsteriskManager(amiPort, "127.0.0.1", user, secret, true);
}
const act = (ami: AmiClient, a: Record<string, unknown>) => new Promise<{ err?: Record<string, string>; res: Record<string, string> }>((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error(`no answer to ${JSON.stringify(a)}`)), 10_000);
  ami.action(a, (err, res) => { clearTimeout(timer); resolve({ ...(err ? { err } : {}), res }); });
});

test("asterisk-manager: login, Ping, CoreSettings, Command, DBPut/DBGet with its event list, unknown action, UserEvent", async () => {
  const ami = managerClient("admin", "mypassword");
  const events: Record<string, string>[] = [];
  ami.on("managerevent", (e) => events.push(e));
  try {
    const ping = await act(ami, { action: "Ping" });
    assert.equal(ping.res.response, "Success");
    assert.equal(ping.res.ping, "Pong");
    const settings = await act(ami, { action: "CoreSettings" });
    assert.equal(settings.res.amiversion, "11.0.0");
    const command = await act(ami, { action: "Command", command: "core show version" });
    assert.equal(command.res.response, "Success");
    assert.match(JSON.stringify(command.res), /Recall/);
    assert.equal((await act(ami, { action: "DBPut", family: "ami", key: "k1", val: "v1" })).res.message, "Updated database successfully");
    const got = await act(ami, { action: "DBGet", family: "ami", key: "k1" });
    assert.equal(got.res.eventlist, "start");
    const deadline = Date.now() + 5000;
    while (!events.some((e) => e.event === "DBGetResponse") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const row = events.find((e) => e.event === "DBGetResponse")!;
    assert.deepEqual([row.family, row.key, row.val], ["ami", "k1", "v1"]);
    assert.match(await recall.cli("database show ami"), /\/ami\/k1\s+: v1/);
    const unknown = await act(ami, { action: "NoSuchThing" });
    assert.equal(unknown.err?.message, "Invalid/unknown command");
    await act(ami, { action: "UserEvent", userevent: "Wallboard", note: "hello" });
    while (!events.some((e) => e.event === "UserEvent") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(events.find((e) => e.event === "UserEvent")?.userevent, "Wallboard");
    const endpoints = await act(ami, { action: "PJSIPShowEndpoints" });
    assert.equal(endpoints.res.eventlist, "start");
    while (!events.some((e) => e.event === "EndpointListComplete") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const ep = events.find((e) => e.event === "EndpointList")!;
    assert.equal(ep.objectname, "6001");
    assert.match(ep.contacts, /^6001\/sip:/);
    assert.equal(ep.devicestate, "Not in use");
  } finally {
    ami.disconnect();
  }
});

test("permissions: a user without originate gets Permission denied; a wrong secret Authentication failed and fail2ban's line", async () => {
  const board = new RawClient(amiPort);
  try {
    await board.until(/^Asterisk Call Manager\/11\.0\.0\r\n/);
    board.send({ Action: "Login", Username: "wallboard", Secret: "board", ActionID: "l1" });
    await board.until(/Response: Success\r\nActionID: l1\r\nMessage: Authentication accepted\r\n\r\n/);
    board.send({ Action: "Originate", Channel: "PJSIP/6001", Context: "ami-test", Exten: "100", Priority: "1", ActionID: "o1" });
    await board.until(/Response: Error\r\nActionID: o1\r\nMessage: Permission denied\r\n\r\n/);
    board.send({ Action: "Command", Command: "core show version", ActionID: "c1" });
    await board.until(/Response: Error\r\nActionID: c1\r\nMessage: Permission denied\r\n\r\n/);
  } finally { board.close(); }
  const bad = new RawClient(amiPort);
  try {
    bad.send({ Action: "Login", Username: "admin", Secret: "wrong", ActionID: "x" });
    await bad.until(/Response: Error\r\nActionID: x\r\nMessage: Authentication failed\r\n\r\n/);
    bad.send({ Action: "Ping", ActionID: "p" });
    await bad.until(/Response: Error\r\nActionID: p\r\nMessage: Permission denied\r\n/);
  } finally { bad.close(); }
  // fail2ban's asterisk filter: `NOTICE.* <HOST> failed to authenticate as '...'$`
  await assertLogged(recall.dataDir, /NOTICE\[\d+\] manager\.c: 127\.0\.0\.1 failed to authenticate as 'admin'\n/);
});

test("MD5 challenge login, Events, Filter, Logoff", async () => {
  const { createHash } = await import("node:crypto");
  const c = new RawClient(amiPort);
  try {
    c.send({ Action: "Challenge", AuthType: "MD5", ActionID: "ch" });
    const [, challenge] = await c.until(/Challenge: (\d+)\r\n/);
    c.send({ Action: "Login", AuthType: "MD5", Username: "admin", Key: createHash("md5").update(challenge + "mypassword").digest("hex"), ActionID: "l", Events: "off" });
    await c.until(/ActionID: l\r\nMessage: Authentication accepted/);
    c.send({ Action: "Events", EventMask: "system,call", ActionID: "e" });
    await c.until(/Response: Success\r\nActionID: e\r\nEvents: On\r\n/);
    c.send({ Action: "Filter", Operation: "Add", Filter: "Event: UserEvent", ActionID: "f" });
    await c.until(/ActionID: f\r\nMessage: Filter Added Successfully\r\n/);
    c.send({ Action: "Filter", Operation: "Add", Filter: "(", ActionID: "f2" });
    await c.until(/Response: Error\r\nActionID: f2\r\nMessage: Filter Not Added: /);
    c.send({ Action: "Logoff", ActionID: "bye" });
    await c.until(/Response: Goodbye\r\nActionID: bye\r\nMessage: Thanks for all the fish\.\r\n\r\n/);
    await new Promise<void>((resolve) => { if (c.socket.readableEnded) resolve(); else c.socket.once("end", () => resolve()); });
  } finally { c.close(); }
});

/** Seed 003's panoramisk example, as written but for the channel (and host, port, secret, context, exten). */
const seedExample = (port: number) => `
import asyncio
from panoramisk.manager import Manager
ami_config = {
'host': '127.0.0.1',
'port': ${port},
'username': 'admin',
'secret': 'mypassword'
}
manager = Manager(loop=asyncio.get_event_loop(), **ami_config)
@manager.register_event('*')
def on_event(event, manager):
    print(f"[Event] {event.name}: {event.keys}")
@manager.register_connect
async def on_connect(manager):
    print("[+] Connected to AMI")
    response = await manager.send_action({
    'Action': 'Originate',
    'Channel': 'PJSIP/6001',
    'Context': 'ami-test',
    'Exten': '100',
    'Priority': 1,
    'CallerID': '1001 <1001>',
    'Timeout': 30000,
    'Async': 'true'
    })
    print("[Originate Response]")
    print(response)
    await asyncio.sleep(5)
    await manager.close()
if __name__ == '__main__':
    loop = asyncio.get_event_loop()
    loop.run_until_complete(manager.connect())
    loop.run_forever()
`;

/**
 * panoramisk 1.4 (the installed one) has no register_connect, calls event callbacks as
 * (manager, event) and its close() is not a coroutine: this preamble supplies what the
 * seed's example expects of it, and nothing about AMI.
 */
const panoramiskShim = `
import asyncio, panoramisk.manager as _m, panoramisk.message as _msg
def _register_connect(self, fn):
    self.on_login = lambda m: asyncio.ensure_future(fn(m))
    return fn
_m.Manager.register_connect = _register_connect
_orig_register_event = _m.Manager.register_event
def _register_event(self, pattern, callback=None):
    def wrap(fn):
        _orig_register_event(self, pattern, lambda manager, event: fn(event, manager))
        return fn
    return wrap(callback) if callback else wrap
_m.Manager.register_event = _register_event
_msg.Message.name = property(lambda self: self.get('Event', ''))
_orig_close = _m.Manager.close
async def _close(self):
    _orig_close(self)
    print("[closed]", flush=True)
_m.Manager.close = _close
import builtins, functools
builtins.print = functools.partial(builtins.print, flush=True)
`;

test("panoramisk runs seed 003's example: Originate to the registered sipp phone, its events, Originate response, logoff", async () => {
  const phone = startSipp({ scenario: uasCall({ status: 200 }), localPort: phonePort, calls: 1, timeoutMs: 30_000 });
  const dir = tempDir("recall-ami-py-");
  const script = join(dir, "example.py");
  writeFileSync(script, panoramiskShim + seedExample(amiPort));
  const py = spawn(python3, [script], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  py.stdout.setEncoding("utf8").on("data", (d: string) => { out += d; });
  py.stderr.setEncoding("utf8").on("data", (d: string) => { out += d; });
  try {
    const deadline = Date.now() + 25_000;
    while (!out.includes("[closed]") && Date.now() < deadline && py.exitCode === null) await new Promise((r) => setTimeout(r, 100));
    assert.match(out, /\[\+\] Connected to AMI/, out);
    // panoramisk gathers the Async response and its OriginateResponse (same ActionID) into one list.
    assert.match(out, /\[Originate Response\]\n\[<Message ActionID='([^']+)' Message='Originate successfully queued' Response='Success' content=''>, <Message ActionID='\1' Application='' CallerIDName='1001' CallerIDNum='1001' Channel='PJSIP\/6001-0000000\d' Context='ami-test' Data='' Event='OriginateResponse' Exten='100' Privilege='call,all' Reason='4' Response='Success' Uniqueid='[\d.]+' content=''>\]/, out);
    // Events in the order the call had them: the response to Originate comes after the answer.
    const order = [...out.matchAll(/\[Event\] (\w+): [^\n]*?(?:ChannelStateDesc='(\w+)')?/g)].map((m) => m[1]);
    assert.ok(order.indexOf("Newchannel") < order.indexOf("Hangup"));
    assert.ok(out.indexOf("ChannelStateDesc='Up' ConnectedLineName") < out.indexOf("[Originate Response]"), out);
    for (const name of ["Newchannel", "Newstate", "Newexten", "VarSet", "HangupRequest", "Hangup"]) assert.match(out, new RegExp(`\\[Event\\] ${name}: `), `${name} in\n${out}`);
    assert.match(out, /\[closed\]/);
    assert.equal((await phone.done).code, 0);
  } finally {
    py.kill("SIGKILL");
    phone.stop();
  }
});

test("a client resumes from a log offset: every event since then, in order, each with its RecallOffset", async () => {
  const c = new RawClient(amiPort);
  try {
    c.send({ Action: "Login", Username: "admin", Secret: "mypassword", ResumeFrom: "0", ActionID: "r" });
    await c.until(/Event: Hangup\r\n[^]*?Channel: PJSIP\/6001-[^]*?Cause: 16\r\nCause-txt: Normal Clearing\r\n/);
    const offsets = [...c.text.matchAll(/RecallOffset: (\d+)/g)].map((m) => Number(m[1]));
    assert.ok(offsets.length > 10);
    assert.deepEqual(offsets, [...offsets].sort((a, b) => a - b));
    assert.equal(offsets[0], 0);
    // The originated call as Asterisk 22 tells it: Newchannel first, its dialplan (AMI_SEEN), then Hangup.
    const names = [...c.text.matchAll(/Event: (\w+)\r\nPrivilege: [^\r]*\r\nChannel: PJSIP\/6001/g)].map((m) => m[1]);
    assert.equal(names[0], "Newchannel");
    assert.equal(names.at(-1), "Hangup");
    assert.match(c.text, /Event: VarSet\r\nPrivilege: dialplan,all\r\nChannel: PJSIP\/6001-[^]*?Variable: AMI_SEEN\r\nValue: yes\r\n/);
    assert.match(c.text, /Event: PeerStatus\r\nPrivilege: system,all\r\nChannelType: PJSIP\r\nPeer: PJSIP\/6001\r\nPeerStatus: Reachable/);
  } finally { c.close(); }
});

/** Originates PJSIP/6001 into ami-test 150 (which dials 6002); the caller's channel name once OriginateResponse says so. */
async function originateCaller(c: RawClient, actionId = "o"): Promise<string> {
  c.send({ Action: "Originate", Channel: "PJSIP/6001", Context: "ami-test", Exten: "150", Priority: "1", Async: "true", ActionID: actionId });
  const [, caller] = await c.until(new RegExp(`Event: OriginateResponse\\r\\nPrivilege: call,all\\r\\nActionID: ${actionId}\\r\\nResponse: Success\\r\\nChannel: (PJSIP\\/6001-\\w+)\\r\\n`));
  return caller;
}

/** A logged-in raw client with every event. */
async function admin(): Promise<RawClient> {
  const c = new RawClient(amiPort);
  c.send({ Action: "Login", Username: "admin", Secret: "mypassword", ActionID: "login" });
  await c.until(/ActionID: login\r\nMessage: Authentication accepted/);
  return c;
}

test("Originate into a Dial, ExtensionState while bridged, then BlindTransfer of the far party to the dialplan", async () => {
  const phone = startSipp({ scenario: uasCall({ status: 200 }), localPort: phonePort, calls: 1, timeoutMs: 30_000 });
  const phone2 = startSipp({ scenario: uasCall({ status: 200 }), localPort: phone2Port, calls: 1, timeoutMs: 30_000 });
  const c = await admin();
  try {
    c.send({ Action: "ExtensionState", Exten: "6002", Context: "ami-test", ActionID: "es0" });
    await c.until(/ActionID: es0\r\nMessage: Extension Status\r\nExten: 6002\r\nContext: ami-test\r\nHint: PJSIP\/6002\r\nStatus: 0\r\nStatusText: Idle\r\n/);
    const caller = await originateCaller(c);
    const [, callee] = await c.until(/Event: BridgeEnter\r\n[^]*?Channel: (PJSIP\/6002-\w+)\r\n/);
    await c.until(new RegExp(`Event: BridgeEnter\\r\\n[^]*?Channel: ${caller.replace("/", "\\/")}\\r\\n`));
    c.send({ Action: "ExtensionState", Exten: "6002", Context: "ami-test", ActionID: "es1" });
    await c.until(/ActionID: es1\r\n[^]*?Status: 1\r\nStatusText: InUse\r\n/);
    c.send({ Action: "CoreShowChannels", ActionID: "cs" });
    await c.until(/Event: CoreShowChannelsComplete\r\nActionID: cs\r\nEventList: Complete\r\nListItems: 2\r\n/);
    c.send({ Action: "BlindTransfer", Channel: caller, Context: "ami-test", Exten: "200", ActionID: "bt" });
    await c.until(/Response: Success\r\nActionID: bt\r\nMessage: Transfer succeeded\r\n/);
    await c.until(/Event: BlindTransfer\r\nPrivilege: call,all\r\nResult: Success\r\nTransfererChannel: PJSIP\/6001-[^]*?Extension: 200\r\n/);
    await c.until(new RegExp(`Event: VarSet\\r\\nPrivilege: dialplan,all\\r\\nChannel: ${callee.replace("/", "\\/")}\\r\\n[^]*?Variable: TRANSFERRED\\r\\nValue: yes`));
    await c.until(new RegExp(`Event: Hangup\\r\\nPrivilege: call,all\\r\\nChannel: ${callee.replace("/", "\\/")}\\r\\n`));
    assert.equal((await phone.done).code, 0);
    assert.equal((await phone2.done).code, 0);
  } finally {
    c.close();
    phone.stop(); phone2.stop();
  }
});

test("Redirect: the called phone's leg leaves the bridge for the dialplan, the other is hung up; then both of a call at once", async () => {
  const c = await admin();
  for (const dual of [false, true]) {
    const phone = startSipp({ scenario: uasCall({ status: 200 }), localPort: phonePort, calls: 1, timeoutMs: 30_000 });
    const phone2 = startSipp({ scenario: uasCall({ status: 200 }), localPort: phone2Port, calls: 1, timeoutMs: 30_000 });
    try {
      c.text = "";
      const caller = await originateCaller(c);
      const [, callee] = await c.until(/Event: BridgeEnter\r\n[^]*?Channel: (PJSIP\/6002-\w+)\r\n/);
      await c.until(new RegExp(`Event: BridgeEnter\\r\\n[^]*?Channel: ${caller.replace("/", "\\/")}\\r\\n`));
      c.send({ Action: "Redirect", Channel: callee, Context: "ami-test", Exten: "200", Priority: "1", ...(dual ? { ExtraChannel: caller, ExtraExten: "200" } : {}), ActionID: "r" });
      await c.until(new RegExp(`Response: Success\\r\\nActionID: r\\r\\nMessage: ${dual ? "Dual " : ""}Redirect successful\\r\\n`));
      for (const name of dual ? [callee, caller] : [callee]) {
        await c.until(new RegExp(`Event: VarSet\\r\\nPrivilege: dialplan,all\\r\\nChannel: ${name.replace("/", "\\/")}\\r\\n[^]*?Variable: TRANSFERRED\\r\\nValue: yes`));
      }
      for (const name of [caller, callee]) await c.until(new RegExp(`Event: Hangup\\r\\nPrivilege: call,all\\r\\nChannel: ${name.replace("/", "\\/")}\\r\\n`));
      assert.doesNotMatch(c.text, /Event: BlindTransfer/);
      assert.equal((await phone.done).code, 0);
      assert.equal((await phone2.done).code, 0);
    } finally { phone.stop(); phone2.stop(); }
  }
  c.send({ Action: "Redirect", Channel: "PJSIP/none-1", Exten: "200", ActionID: "r2" });
  await c.until(/Response: Error\r\nActionID: r2\r\nMessage: Channel not found\r\n/);
  c.close();
});

test("Redirect of channels inside applications: Wait() is interrupted and the dialplan goes on; then Read() and Wait() of two calls at once", async () => {
  const c = await admin();
  const esc = (name: string) => name.replace("/", "\\/");
  try {
    for (const dual of [false, true]) {
      const phone = startSipp({ scenario: uasCall({ status: 200 }), localPort: phonePort, calls: 1, timeoutMs: 30_000 });
      const phone2 = dual ? startSipp({ scenario: uasCall({ status: 200 }), localPort: phone2Port, calls: 1, timeoutMs: 30_000 }) : undefined;
      try {
        c.text = "";
        c.send({ Action: "Originate", Channel: "PJSIP/6001", Context: "ami-test", Exten: "300", Priority: "1", Async: "true", ActionID: "o1" });
        const [, first] = await c.until(/Event: Newexten\r\n[^]*?Channel: (PJSIP\/6001-\w+)\r\n[^]*?Application: Wait\r\n/);
        let second = "";
        if (dual) {
          c.send({ Action: "Originate", Channel: "PJSIP/6002", Context: "ami-test", Exten: "400", Priority: "1", Async: "true", ActionID: "o2" });
          [, second] = await c.until(/Event: Newexten\r\n[^]*?Channel: (PJSIP\/6002-\w+)\r\n[^]*?Application: Read\r\n/);
        }
        const started = Date.now();
        c.send({ Action: "Redirect", Channel: first, Context: "ami-test", Exten: "200", Priority: "1", ...(dual ? { ExtraChannel: second, ExtraExten: "200" } : {}), ActionID: "r" });
        await c.until(new RegExp(`Response: Success\\r\\nActionID: r\\r\\nMessage: ${dual ? "Dual " : ""}Redirect successful\\r\\n`));
        for (const name of dual ? [first, second] : [first]) {
          await c.until(new RegExp(`Event: VarSet\\r\\nPrivilege: dialplan,all\\r\\nChannel: ${esc(name)}\\r\\n[^]*?Variable: TRANSFERRED\\r\\nValue: yes`));
          await c.until(new RegExp(`Event: Hangup\\r\\nPrivilege: call,all\\r\\nChannel: ${esc(name)}\\r\\n`));
        }
        // Wait(20) and Read()'s 10 s were cut short: 200's Wait(1) and hang-up came right after.
        assert.ok(Date.now() - started < 6000, `redirected in ${Date.now() - started} ms`);
        assert.doesNotMatch(c.text, /Variable: GOT\r\n/, "Read() did not go on to its next priority");
        assert.equal((await phone.done).code, 0);
        if (phone2) assert.equal((await phone2.done).code, 0);
      } finally { phone.stop(); phone2?.stop(); }
    }
  } finally { c.close(); }
});

test("Redirect of a caller whose Dial() is still ringing: the called phone gets a CANCEL, the caller goes on at the new place", async () => {
  const c = await admin();
  const esc = (name: string) => name.replace("/", "\\/");
  const phone = startSipp({ scenario: uasCall({ status: 200 }), localPort: phonePort, calls: 1, timeoutMs: 30_000 });
  const phone2 = startSipp({ scenario: uasCall({}), localPort: phone2Port, calls: 1, timeoutMs: 30_000 }); // rings until cancelled
  try {
    const caller = await originateCaller(c);
    const [, callee] = await c.until(/Event: Newstate\r\nPrivilege: call,all\r\nChannel: (PJSIP\/6002-\w+)\r\nChannelState: 5\r\n/);
    c.send({ Action: "Redirect", Channel: caller, Context: "ami-test", Exten: "200", Priority: "1", ActionID: "r" });
    await c.until(/Response: Success\r\nActionID: r\r\nMessage: Redirect successful\r\n/);
    await c.until(new RegExp(`Event: DialEnd\\r\\nPrivilege: call,all\\r\\nChannel: ${esc(caller)}\\r\\n[^]*?DialStatus: CANCEL\\r\\n`));
    await c.until(new RegExp(`Event: Hangup\\r\\nPrivilege: call,all\\r\\nChannel: ${esc(callee)}\\r\\n`));
    await c.until(new RegExp(`Event: VarSet\\r\\nPrivilege: dialplan,all\\r\\nChannel: ${esc(caller)}\\r\\n[^]*?Variable: TRANSFERRED\\r\\nValue: yes`));
    await c.until(new RegExp(`Event: Hangup\\r\\nPrivilege: call,all\\r\\nChannel: ${esc(caller)}\\r\\n`));
    assert.equal((await phone2.done).code, 0, "the ringing phone took its CANCEL");
    assert.equal((await phone.done).code, 0);
  } finally { c.close(); phone.stop(); phone2.stop(); }
});

test("Bridge: two calls in Wait() are bridged (Tone: Both); when one hangs up the other goes on after its Wait(); errors", async () => {
  const c = await admin();
  const esc = (name: string) => name.replace("/", "\\/");
  const phone = startSipp({ scenario: uasCall({ status: 200 }), localPort: phonePort, calls: 1, timeoutMs: 30_000 });
  const phone2 = startSipp({ scenario: uasCall({ status: 200 }), localPort: phone2Port, calls: 1, timeoutMs: 30_000 });
  try {
    c.send({ Action: "Bridge", Channel1: "PJSIP/none-1", ActionID: "b0" });
    await c.until(/Response: Error\r\nActionID: b0\r\nMessage: Missing channel parameter in request\r\n/);
    c.send({ Action: "Bridge", Channel1: "PJSIP/none-1", Channel2: "PJSIP/none-2", ActionID: "b1" });
    await c.until(/Response: Error\r\nActionID: b1\r\nMessage: Channel1 does not exist: PJSIP\/none-1\r\n/);
    c.send({ Action: "Originate", Channel: "PJSIP/6001", Context: "ami-test", Exten: "300", Priority: "1", Async: "true", ActionID: "o1" });
    const [, one] = await c.until(/Event: Newexten\r\n[^]*?Channel: (PJSIP\/6001-\w+)\r\n[^]*?Application: Wait\r\n/);
    c.send({ Action: "Originate", Channel: "PJSIP/6002", Context: "ami-test", Exten: "300", Priority: "1", Async: "true", ActionID: "o2" });
    const [, two] = await c.until(/Event: Newexten\r\n[^]*?Channel: (PJSIP\/6002-\w+)\r\n[^]*?Application: Wait\r\n/);
    c.send({ Action: "Bridge", Channel1: one, Channel2: "PJSIP/none-2", ActionID: "b2" });
    await c.until(/Response: Error\r\nActionID: b2\r\nMessage: Channel2 does not exist: PJSIP\/none-2\r\n/);
    c.send({ Action: "Bridge", Channel1: one, Channel2: two, Tone: "Both", ActionID: "b" });
    await c.until(/Response: Success\r\nActionID: b\r\nMessage: Channels have been bridged\r\n/);
    // Each hears the courtesy beep, then both enter one bridge.
    for (const name of [one, two]) await c.until(new RegExp(`Event: BridgeEnter\\r\\n[^]*?BridgeNumChannels: \\d\\r\\n[^]*?Channel: ${esc(name)}\\r\\n`));
    const bridgeOf = (name: string) => new RegExp(`Event: BridgeEnter\\r\\nPrivilege: call,all\\r\\nBridgeUniqueid: (\\S+)\\r\\n[^]*?Channel: ${esc(name)}\\r\\n`).exec(c.text)?.[1];
    assert.equal(bridgeOf(one), bridgeOf(two), "one bridge holds both");
    c.send({ Action: "Status", Channel: one, ActionID: "st" });
    await c.until(new RegExp(`Event: Status\\r\\nActionID: st\\r\\nChannel: ${esc(one)}\\r\\n[^]*?BridgedChannel: ${esc(two)}\\r\\n`));
    c.send({ Action: "Hangup", Channel: two, ActionID: "h" });
    await c.until(new RegExp(`Event: Hangup\\r\\nPrivilege: call,all\\r\\nChannel: ${esc(two)}\\r\\n`));
    // The other leaves the bridge and goes on after its Wait(20): priority 3, Hangup().
    await c.until(new RegExp(`Event: BridgeLeave\\r\\n[^]*?Channel: ${esc(one)}\\r\\n`));
    await c.until(new RegExp(`Event: Newexten\\r\\nPrivilege: dialplan,all\\r\\nChannel: ${esc(one)}\\r\\n[^]*?Priority: 3\\r\\n[^]*?Application: Hangup\\r\\n`));
    await c.until(new RegExp(`Event: Hangup\\r\\nPrivilege: call,all\\r\\nChannel: ${esc(one)}\\r\\n`));
    assert.equal((await phone.done).code, 0);
    assert.equal((await phone2.done).code, 0);
  } finally { c.close(); phone.stop(); phone2.stop(); }
});

test("Bridge of a bridged channel: it moves out of its Dial bridge; the partner left behind is hung up; a moved Dial caller goes on after Dial", async () => {
  const c = await admin();
  const esc = (name: string) => name.replace("/", "\\/");
  for (const move of ["callee", "caller"] as const) {
    const phone = startSipp({ scenario: uasCall({ status: 200 }), localPort: phonePort, calls: 2, timeoutMs: 30_000 });
    const phone2 = startSipp({ scenario: uasCall({ status: 200 }), localPort: phone2Port, calls: 1, timeoutMs: 30_000 });
    try {
      c.text = "";
      const caller = await originateCaller(c, "o1");
      const [, callee] = await c.until(/Event: BridgeEnter\r\n[^]*?Channel: (PJSIP\/6002-\w+)\r\n/);
      const [, dialBridge] = await c.until(new RegExp(`Event: BridgeEnter\\r\\nPrivilege: call,all\\r\\nBridgeUniqueid: (\\S+)\\r\\n[^]*?Channel: ${esc(caller)}\\r\\n`));
      c.send({ Action: "Originate", Channel: "PJSIP/6001", Context: "ami-test", Exten: "300", Priority: "1", Async: "true", ActionID: "o2" });
      // Within one event: a Newexten of the third call's Wait (the caller's Dial came before it).
      const [, third] = await c.until(/Event: Newexten\r\nPrivilege: dialplan,all\r\nChannel: (PJSIP\/6001-\w+)\r\n(?:(?!\r\n\r\n)[^])*?Application: Wait\r\n/);
      const moved = move === "callee" ? callee : caller, left = move === "callee" ? caller : callee;
      // The action through npm asterisk-manager, as a CRM would send it.
      const client = managerClient("admin", "mypassword");
      try {
        const bridged = await act(client, { action: "Bridge", channel1: third, channel2: moved });
        assert.equal(bridged.res.message, "Channels have been bridged", JSON.stringify(bridged));
      } finally { client.disconnect(); }
      await c.until(new RegExp(`Event: BridgeLeave\\r\\nPrivilege: call,all\\r\\nBridgeUniqueid: ${dialBridge}\\r\\n[^]*?Channel: ${esc(moved)}\\r\\n`));
      // The partner left behind: the Dial caller (no g option) or the called leg is hung up.
      await c.until(new RegExp(`Event: Hangup\\r\\nPrivilege: call,all\\r\\nChannel: ${esc(left)}\\r\\n`));
      await c.until(new RegExp(`Event: BridgeDestroy\\r\\nPrivilege: call,all\\r\\nBridgeUniqueid: ${dialBridge}\\r\\n`));
      const bridgeOf = (name: string) => c.until(new RegExp(`Event: BridgeEnter\\r\\nPrivilege: call,all\\r\\nBridgeUniqueid: (?!${dialBridge})(\\S+)\\r\\n[^]*?Channel: ${esc(name)}\\r\\n`)).then((m) => m[1]);
      assert.equal(await bridgeOf(moved), await bridgeOf(third), "the moved channel and the third share a new bridge");
      c.send({ Action: "Status", Channel: moved, ActionID: "st" });
      await c.until(new RegExp(`Event: Status\\r\\nActionID: st\\r\\nChannel: ${esc(moved)}\\r\\n[^]*?BridgedChannel: ${esc(third)}\\r\\n`));
      if (move === "callee") c.send({ Action: "Hangup", Channel: third, ActionID: "h" });
      else {
        // The console's `channel request hangup` is Asterisk's soft hang-up: SoftHangupRequest, Cause 32 (explicit).
        assert.match(await recall.cli(`channel request hangup ${third}`), /Requested Hangup on channel/);
        await c.until(new RegExp(`Event: SoftHangupRequest\\r\\nPrivilege: call,all\\r\\nChannel: ${esc(third)}\\r\\n[^]*?Linkedid: \\S+\\r\\nCause: 32\\r\\n`));
      }
      await c.until(new RegExp(`Event: Hangup\\r\\nPrivilege: call,all\\r\\nChannel: ${esc(third)}\\r\\n`));
      // A moved Dial caller goes on after its Dial (150's priority 2, Hangup); a moved called leg is hung up.
      if (move === "caller") await c.until(new RegExp(`Event: Newexten\\r\\nPrivilege: dialplan,all\\r\\nChannel: ${esc(caller)}\\r\\n[^]*?Exten: 150\\r\\nPriority: 2\\r\\n[^]*?Application: Hangup\\r\\n`));
      await c.until(new RegExp(`Event: Hangup\\r\\nPrivilege: call,all\\r\\nChannel: ${esc(moved)}\\r\\n`));
      assert.equal((await phone.done).code, 0);
      assert.equal((await phone2.done).code, 0);
    } finally { phone.stop(); phone2.stop(); }
    // Recall's CANCEL/BYE retransmissions end before the next phones bind the ports.
    await new Promise((r) => setTimeout(r, 1500));
  }
  c.close();
});

test("Originate of a Local channel: LocalBridge names both halves, the dialplan side's context and exten, and LocalOptimization", async () => {
  const c = await admin();
  try {
    c.send({ Action: "Originate", Channel: "Local/100@ami-test", Application: "Wait", Data: "1", Async: "true", ActionID: "lo" });
    const [event] = await c.until(/Event: LocalBridge\r\nPrivilege: call,all\r\nLocalOneChannel: Local\/100@ami-test-\w+;1\r\n[^]*?LocalTwoChannel: Local\/100@ami-test-\w+;2\r\n[^]*?\r\n\r\n/);
    assert.match(event, /\r\nContext: ami-test\r\nExten: 100\r\nLocalOptimization: Yes\r\n/);
    await c.until(/Event: OriginateResponse\r\nPrivilege: call,all\r\nActionID: lo\r\nResponse: Success\r\n/);
    await c.until(/Event: Hangup\r\nPrivilege: call,all\r\nChannel: Local\/100@ami-test-\w+;1\r\n/);
  } finally { c.close(); }
});

/** An AJAM client as a web page or script uses the HTTP manager: urllib with a cookie jar, one action per GET. */
const ajamClient = (port: number) => `
import http.cookiejar, sys, time, urllib.parse, urllib.request
opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
def action(**params):
    with opener.open("http://127.0.0.1:${port}/rawman?" + urllib.parse.urlencode(params), timeout=30) as r:
        return r.read().decode()
print(action(action="Login", username="admin", secret="mypassword"), flush=True)
print(action(action="Originate", channel="PJSIP/6001", context="ami-test", exten="100", priority="1", actionid="web", **{"async": "true"}), flush=True)
seen = ""
deadline = time.time() + 25
while "Event: Hangup" not in seen and time.time() < deadline:
    seen += action(action="WaitEvent", timeout="5")
print(seen, flush=True)
print(action(action="Logoff"), flush=True)
print("[done]", flush=True)
`;

test("HTTP manager: a Python urllib client logs in on /rawman, originates to the sipp phone and takes the call's events with WaitEvent", async () => {
  const phone = startSipp({ scenario: uasCall({ status: 200 }), localPort: phonePort, calls: 1, timeoutMs: 30_000 });
  const dir = tempDir("recall-ajam-py-");
  const script = join(dir, "ajam.py");
  writeFileSync(script, ajamClient(httpPort));
  try {
    const { stdout } = await run(python3, [script], { timeout: 40_000 });
    assert.match(stdout, /^Response: Success\r\nMessage: Authentication accepted\r\n/);
    assert.match(stdout, /Response: Success\r\nActionID: web\r\nMessage: Originate successfully queued\r\n/);
    // The call's events in their order, and the OriginateResponse of this action, all through WaitEvent.
    const order = [...stdout.matchAll(/Event: (\w+)\r\n/g)].map((m) => m[1]).filter((e) => e !== "WaitEventComplete" && e !== "FullyBooted");
    assert.equal(order[0], "Newchannel", stdout);
    assert.ok(order.indexOf("OriginateResponse") > order.indexOf("Newchannel") && order.indexOf("Hangup") > order.indexOf("OriginateResponse"), order.join(" "));
    assert.match(stdout, /Event: OriginateResponse\r\nPrivilege: call,all\r\nActionID: web\r\nResponse: Success\r\nChannel: PJSIP\/6001-\w+\r\n/);
    assert.match(stdout, /Event: VarSet\r\nPrivilege: dialplan,all\r\n[^]*?Variable: AMI_SEEN\r\nValue: yes\r\n/);
    assert.match(stdout, /Response: Goodbye\r\n/);
    assert.equal((await phone.done).code, 0);
  } finally { phone.stop(); }
  const status = await recall.cli("http show status");
  for (const uri of ["/manager => HTML Manager Event Interface", "/mxml => XML Manager Event Interface", "/rawman => Raw HTTP Manager Event Interface"]) assert.ok(status.includes(uri), status);
  await assertLogged(recall.dataDir, /HTTP Manager 'admin' logged on from 127\.0\.0\.1/);
});

test("Atxfer: the caller of a Dial consults 300 while the called phone waits; its hang-up completes the transfer", async () => {
  const c = await admin();
  const esc = (name: string) => name.replace("/", "\\/");
  const phone = startSipp({ scenario: uasCall({ status: 200 }), localPort: phonePort, calls: 1, timeoutMs: 30_000 });
  const phone2 = startSipp({ scenario: uasCall({ status: 200 }), localPort: phone2Port, calls: 1, timeoutMs: 30_000 });
  try {
    c.send({ Action: "Atxfer", Channel: "PJSIP/none-1", Exten: "300", ActionID: "a0" });
    await c.until(/Response: Error\r\nActionID: a0\r\nMessage: Channel specified does not exist\r\n/);
    const caller = await originateCaller(c);
    const [, callee] = await c.until(/Event: BridgeEnter\r\n[^]*?Channel: (PJSIP\/6002-\w+)\r\n/);
    await c.until(new RegExp(`Event: BridgeEnter\\r\\n[^]*?Channel: ${esc(caller)}\\r\\n`));
    c.send({ Action: "Atxfer", Channel: caller, Exten: "300", Context: "ami-test", ActionID: "a" });
    await c.until(/Response: Success\r\nActionID: a\r\nMessage: Atxfer successfully queued\r\n/);
    // The consultation: the caller leaves the first bridge and dials Local/300@ami-test, whose dialplan answers.
    await c.until(/Event: DialBegin\r\n[^]*?DestChannel: (Local\/300@ami-test-\w+;1)\r\n[^]*?DialString: Local\/300@ami-test\r\n/);
    await c.until(/Event: Newexten\r\n[^]*?Channel: Local\/300@ami-test-\w+;2\r\n[^]*?Application: Wait\r\n/);
    await c.until(/Event: DialEnd\r\n[^]*?DialStatus: ANSWER\r\n/);
    c.send({ Action: "Hangup", Channel: caller, ActionID: "h" });
    await c.until(new RegExp(`Event: AttendedTransfer\\r\\nPrivilege: call,all\\r\\nResult: Success\\r\\nOrigTransfererChannel: ${esc(caller)}\\r\\n[^]*?TransfereeChannel: ${esc(callee)}\\r\\n`));
    c.send({ Action: "Hangup", Channel: callee, ActionID: "h2" });
    await c.until(new RegExp(`Event: Hangup\\r\\nPrivilege: call,all\\r\\nChannel: ${esc(callee)}\\r\\n`));
    assert.equal((await phone.done).code, 0);
    assert.equal((await phone2.done).code, 0);
  } finally { c.close(); phone.stop(); phone2.stop(); }
});

test("Status, GetVar, Setvar and MixMonitor/StopMixMonitor on a live channel, then Hangup by AMI", async () => {
  const phone = startSipp({ scenario: uasCall({ status: 200 }), localPort: phonePort, calls: 1, timeoutMs: 30_000 });
  const c = await admin();
  try {
    c.send({ Action: "Originate", Channel: "PJSIP/6001", Context: "ami-test", Exten: "300", Priority: "1", Variable: "FROM_AMI=1,OTHER=two", ActionID: "o" });
    await c.until(/Response: Success\r\nActionID: o\r\nMessage: Originate successfully queued/);
    const [, name] = await c.until(/Event: Newexten\r\n[^]*?Channel: (PJSIP\/6001-\w+)\r\n[^]*?Application: Wait\r\n/);
    c.send({ Action: "GetVar", Channel: name, Variable: "OTHER", ActionID: "g1" });
    await c.until(/Response: Success\r\nActionID: g1\r\nVariable: OTHER\r\nValue: two\r\n/);
    c.send({ Action: "Setvar", Channel: name, Variable: "SET_BY_AMI", Value: "42", ActionID: "s1" });
    await c.until(/ActionID: s1\r\nMessage: Variable Set\r\n/);
    await c.until(/Event: VarSet\r\n[^]*?Variable: SET_BY_AMI\r\nValue: 42\r\n/);
    c.send({ Action: "GetVar", Channel: name, Variable: "SET_BY_AMI", ActionID: "g2" });
    await c.until(/ActionID: g2\r\nVariable: SET_BY_AMI\r\nValue: 42\r\n/);
    // Functions, as the dialplan reads and writes them.
    c.send({ Action: "GetVar", Channel: name, Variable: "CALLERID(num)", ActionID: "g3" });
    await c.until(/ActionID: g3\r\nVariable: CALLERID\(num\)\r\nValue: [^\r]*\r\n/);
    c.send({ Action: "Setvar", Channel: name, Variable: "CDR(userfield)", Value: "from-ami", ActionID: "s2" });
    await c.until(/ActionID: s2\r\nMessage: Variable Set\r\n/);
    c.send({ Action: "GetVar", Channel: name, Variable: "CDR(userfield)", ActionID: "g4" });
    await c.until(/ActionID: g4\r\nVariable: CDR\(userfield\)\r\nValue: from-ami\r\n/);
    c.send({ Action: "Status", Channel: name, ActionID: "st" });
    await c.until(new RegExp(`Event: Status\\r\\nActionID: st\\r\\nChannel: ${name.replace("/", "\\/")}\\r\\nChannelState: 6\\r\\nChannelStateDesc: Up\\r\\n[^]*?Application: Wait\\r\\nData: 20\\r\\n`));
    await c.until(/Event: StatusComplete\r\nActionID: st\r\nEventList: Complete\r\nListItems: 1\r\nItems: 1\r\n/);
    c.send({ Action: "MixMonitor", Channel: name, File: "ami-test.wav", ActionID: "mm" });
    const [, recording] = await c.until(/Response: Success\r\nActionID: mm\r\nMixMonitorID: (\S+)\r\n/);
    c.send({ Action: "StopMixMonitor", Channel: name, MixMonitorID: recording, ActionID: "smm" });
    await c.until(/Response: Success\r\nActionID: smm\r\n\r\n/);
    assert.ok(existsSync(join(recall.dataDir, "monitor", "ami-test.wav")), "the recording's file");
    c.send({ Action: "Hangup", Channel: name, Cause: "16", ActionID: "h" });
    await c.until(/ActionID: h\r\nMessage: Channel Hungup\r\n/);
    await c.until(new RegExp(`Event: Hangup\\r\\nPrivilege: call,all\\r\\nChannel: ${name.replace("/", "\\/")}\\r\\n[^]*?Cause: 16\\r\\n`));
    c.send({ Action: "Hangup", Channel: name, ActionID: "h2" });
    await c.until(/ActionID: h2\r\nMessage: No such channel\r\n/);
    assert.equal((await phone.done).code, 0);
  } finally {
    c.close();
    phone.stop();
  }
});

test("PlayDTMF: a digit received on the channel reaches its Read(); one sent to the phone is accepted", async () => {
  const phone = startSipp({ scenario: uasCall({ status: 200 }), localPort: phonePort, calls: 1, timeoutMs: 30_000 });
  const c = await admin();
  try {
    c.send({ Action: "Originate", Channel: "PJSIP/6001", Context: "ami-test", Exten: "400", Priority: "1", ActionID: "o" });
    const [, name] = await c.until(/Event: Newexten\r\n[^]*?Channel: (PJSIP\/6001-\w+)\r\n[^]*?Application: Read\r\n/);
    c.send({ Action: "PlayDTMF", Channel: name, Digit: "7", Duration: "120", ActionID: "send" });
    await c.until(/Response: Success\r\nActionID: send\r\nMessage: DTMF successfully queued\r\n/);
    c.send({ Action: "PlayDTMF", Channel: name, Digit: "5", Receive: "true", ActionID: "recv" });
    await c.until(/ActionID: recv\r\nMessage: DTMF successfully queued\r\n/);
    await c.until(new RegExp(`Event: VarSet\\r\\nPrivilege: dialplan,all\\r\\nChannel: ${name.replace("/", "\\/")}\\r\\n[^]*?Variable: GOT\\r\\nValue: 5\\r\\n`));
    // Both digits are in the log: DTMFBegin/DTMFEnd (class dtmf), Sent for the one played to the phone, Received for the other.
    const chan = name.replace("/", "\\/");
    await c.until(new RegExp(`Event: DTMFBegin\\r\\nPrivilege: dtmf,all\\r\\nChannel: ${chan}\\r\\n[^]*?Digit: 7\\r\\nDirection: Sent\\r\\n`));
    await c.until(new RegExp(`Event: DTMFEnd\\r\\nPrivilege: dtmf,all\\r\\nChannel: ${chan}\\r\\n[^]*?Digit: 7\\r\\nDurationMs: 120\\r\\nDirection: Sent\\r\\n`));
    await c.until(new RegExp(`Event: DTMFEnd\\r\\nPrivilege: dtmf,all\\r\\nChannel: ${chan}\\r\\n[^]*?Digit: 5\\r\\nDurationMs: 100\\r\\nDirection: Received\\r\\n`));
    c.send({ Action: "PlayDTMF", Channel: "PJSIP/none-1", Digit: "1", ActionID: "none" });
    await c.until(/Response: Error\r\nActionID: none\r\nMessage: Channel not found: PJSIP\/none-1\r\n/);
    assert.equal((await phone.done).code, 0);
  } finally {
    c.close();
    phone.stop();
  }
});

test("Originate to a phone that only rings: the INVITE is cancelled at Timeout, OriginateResponse Failure with Reason 3", async () => {
  const phone = startSipp({ scenario: uasCall({}), localPort: phonePort, calls: 1, timeoutMs: 30_000 });
  const c = await admin();
  try {
    c.send({ Action: "Originate", Channel: "PJSIP/6001", Context: "ami-test", Exten: "100", Priority: "1", Timeout: "2000", Async: "true", ActionID: "ring" });
    await c.until(/Event: OriginateResponse\r\nPrivilege: call,all\r\nActionID: ring\r\nResponse: Failure\r\nChannel: PJSIP\/6001-\w+\r\n[^]*?Reason: 3\r\n/);
    assert.equal((await phone.done).code, 0);
  } finally {
    c.close();
    phone.stop();
  }
  // The next test's phone binds the same port: let a CANCEL that Recall retransmits (its 200 late on a
  // busy machine) land on this phone's closed port, not on the next phone as a CANCEL of a call it never
  // had (sipp -m 1 then spends its one call on it and never answers the next INVITE).
  await new Promise((r) => setTimeout(r, 2500));
});

/** The answering phone, which also takes a MESSAGE in the call's dialog and checks its text. */
const uasWithMessage = (text: string) => uasCall({ status: 200 }).replace('  <recv request="ACK" rtd="true" crlf="true"/>', `  <recv request="ACK" rtd="true" crlf="true"/>
  <recv request="MESSAGE">
    <action><ereg regexp="${text}" search_in="body" check_it="true" assign_to="text"/></action>
  </recv>
  <Reference variables="text"/>
  <send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>`);

test("SendText: a MESSAGE in the call's dialog, which the phone answers 200", async () => {
  const phone = startSipp({ scenario: uasWithMessage("hello from AMI"), localPort: phonePort, calls: 1, timeoutMs: 30_000 });
  await new Promise((r) => setTimeout(r, 300)); // sipp binds its port
  const c = await admin();
  try {
    c.send({ Action: "Originate", Channel: "PJSIP/6001", Context: "ami-test", Exten: "300", Priority: "1", ActionID: "o" });
    const [, name] = await c.until(/Event: Newexten\r\n[^]*?Channel: (PJSIP\/6001-\w+)\r\n[^]*?Application: Wait\r\n/);
    c.send({ Action: "SendText", Channel: name, Message: "hello from AMI", ActionID: "t" });
    await c.until(/Response: Success\r\nActionID: t\r\nMessage: Success\r\n/);
    c.send({ Action: "Hangup", Channel: name, ActionID: "h" });
    await c.until(/ActionID: h\r\nMessage: Channel Hungup/);
    const done = await phone.done;
    assert.equal(done.code, 0, done.errors);
  } finally {
    c.close();
    phone.stop();
  }
});

test("bad input: a 1 MB line, an unknown action, a half-written action; Recall answers and goes on", async () => {
  const c = new RawClient(amiPort);
  try {
    c.send({ Action: "Login", Username: "admin", Secret: "mypassword", Events: "off" });
    await c.until(/Authentication accepted/);
    c.socket.write(`Action: Ping\r\nX: ${"y".repeat(1024 * 1024)}\r\n\r\n`);
    await c.until(/Response: Error\r\nMessage: Message refused: line longer than 8192 bytes\r\n\r\n/);
    c.send({ Action: "Ping", ActionID: "after" });
    await c.until(/ActionID: after\r\nPing: Pong/);
    c.socket.write("Action: Ping\r\nActionID: half");
    await new Promise((r) => setTimeout(r, 200));
    c.socket.write("\r\n\r\n");
    await c.until(/ActionID: half\r\nPing: Pong/);
    c.socket.write("Action: Ping\r\nActi");
  } finally { c.close(); }
  // A flood of bad logins from one address: after five, they are checked one a second; the right secret still gets in.
  const f = new RawClient(amiPort);
  const started = Date.now();
  try {
    for (let i = 0; i < 8; i++) f.send({ Action: "Login", Username: "nobody", Secret: "x", ActionID: `f${i}` });
    await f.until(/ActionID: f7\r\nMessage: Authentication failed/);
  } finally { f.close(); }
  assert.ok(Date.now() - started >= 1900, `eight bad logins took ${Date.now() - started} ms`);
  await assertLogged(recall.dataDir, /manager\.c: 127\.0\.0\.1 tried to authenticate with nonexistent user 'nobody'/);
  await assertLogged(recall.dataDir, /NOTICE\[\d+\] manager\.c: 127\.0\.0\.1: 5 failed logins within a minute; its logins are throttled to one a second/);
  const good = await admin();
  good.close();
});

test("every action with no parameters: one answer each, a missing parameter named, never a failure or a lost session", async () => {
  const c = await admin();
  try {
    c.send({ Action: "Events", EventMask: "off", ActionID: "off" });
    await c.until(/ActionID: off\r\nEvents: Off\r\n/);
    c.send({ Action: "ListCommands", ActionID: "lc" });
    const [list] = await c.until(/Response: Success\r\nActionID: lc\r\n[^]*?\r\n\r\n/);
    const names = [...list.matchAll(/^(\w+): .*\(Priv: /gm)].map((m) => m[1]).filter((n) => !/^(Login|Logoff|Challenge|WaitEvent)$/.test(n));
    assert.ok(names.length >= 45, names.join(" "));
    c.text = "";
    names.forEach((name, i) => c.send({ Action: name, ActionID: `z${i}` }));
    await c.until(new RegExp(`ActionID: z${names.length - 1}\\r\\n`), 30_000);
    const answers = new Map([...c.text.matchAll(/Response: (\w+)\r\nActionID: z(\d+)\r\n(?:Message: ([^\r]*)\r\n)?/g)].map((m) => [names[Number(m[2])], `${m[1]} ${m[3] ?? ""}`.trim()]));
    assert.deepEqual(names.filter((n) => !answers.has(n)), [], "every action answered");
    assert.deepEqual([...answers].filter(([, a]) => /Action failed|Invalid\/unknown/.test(a)), []);
    for (const [name, message] of [["Hangup", "No channel specified"], ["Originate", "Channel not specified"], ["Redirect", "Channel not specified"],
      ["Bridge", "Missing channel parameter in request"], ["Atxfer", "No channel specified"], ["Getvar", "No variable specified"], ["Command", "No command provided"],
      ["ExtensionState", "Extension not specified"], ["DBGet", "No family specified."], ["UserEvent", "No UserEvent specified"], ["PJSIPShowEndpoint", "Endpoint parameter missing."],
      ["PJSIPRegister", "Registration parameter missing."], ["QueueAdd", "'Queue' not specified."], ["QueuePause", "Need 'Interface' and 'Paused' parameters."],
      ["SendText", "No channel specified"], ["PlayDTMF", "Channel not specified"], ["MixMonitor", "No channel specified"]]) {
      assert.equal(answers.get(name), `Error ${message}`, name);
    }
    c.send({ Action: "Ping", ActionID: "alive" });
    await c.until(/ActionID: alive\r\nPing: Pong/);
  } finally { c.close(); }
});

test("CoreStatus, ListCommands, PJSIPShowEndpoint/Contacts/RegistrationsOutbound, Reload, DBDel/DBDelTree, errors", async () => {
  const c = await admin();
  try {
    c.send({ Action: "CoreStatus", ActionID: "cs" });
    await c.until(/ActionID: cs\r\nCoreStartupDate: \d{4}-\d\d-\d\d\r\nCoreStartupTime: \d\d:\d\d:\d\d\r\nCoreReloadDate: [^\r]+\r\nCoreReloadTime: [^\r]+\r\nCoreCurrentCalls: 0\r\n/);
    c.send({ Action: "ListCommands", ActionID: "lc" });
    await c.until(/ActionID: lc\r\n[^]*Originate: Originate a call\. \(Priv: originate\)\r\n/);
    c.send({ Action: "PJSIPShowEndpoint", Endpoint: "6001", ActionID: "se" });
    await c.until(/Event: EndpointDetail\r\nActionID: se\r\nObjectType: endpoint\r\nObjectName: 6001\r\nContext: ami-test\r\n/);
    await c.until(/Event: ContactStatusDetail\r\nActionID: se\r\nAOR: 6001\r\nURI: sip:/);
    await c.until(/Event: EndpointDetailComplete\r\nActionID: se\r\nEventList: Complete\r\nListItems: 2\r\n/);
    c.send({ Action: "PJSIPShowContacts", ActionID: "sc" });
    await c.until(/Event: ContactList\r\nActionID: sc\r\nObjectType: contact\r\n[^]*?Endpoint: 6001\r\n/);
    await c.until(/Event: ContactListComplete\r\nActionID: sc\r\nEventList: Complete\r\nListItems: 2\r\n/);
    c.send({ Action: "PJSIPShowRegistrationsOutbound", ActionID: "ro" });
    await c.until(/Event: OutboundRegistrationDetailComplete\r\nActionID: ro\r\nEventList: Complete\r\nListItems: 0\r\nRegistered: 0\r\nNotRegistered: 0\r\n/);
    c.send({ Action: "PJSIPRegister", Registration: "nosuch", ActionID: "pr" });
    await c.until(/Response: Error\r\nActionID: pr\r\nMessage: Unable to retrieve registration entry nosuch\r\n/);
    c.send({ Action: "Reload", Module: "pbx_config", ActionID: "rl" });
    await c.until(/Response: Success\r\nActionID: rl\r\nMessage: Module Reloaded\r\n/);
    c.send({ Action: "DBPut", Family: "tree", Key: "a/b", Val: "1", ActionID: "p1" });
    c.send({ Action: "DBPut", Family: "tree", Key: "a/c", Val: "2", ActionID: "p2" });
    c.send({ Action: "DBPut", Family: "tree", Key: "x", Val: "3", ActionID: "p3" });
    await c.until(/ActionID: p3\r\nMessage: Updated database successfully/);
    c.send({ Action: "DBDel", Family: "tree", Key: "x", ActionID: "d1" });
    await c.until(/ActionID: d1\r\nMessage: Key deleted successfully/);
    c.send({ Action: "DBDel", Family: "tree", Key: "x", ActionID: "d2" });
    await c.until(/Response: Error\r\nActionID: d2\r\nMessage: Database entry not found/);
    c.send({ Action: "DBDelTree", Family: "tree", Key: "a", ActionID: "dt" });
    await c.until(/ActionID: dt\r\nMessage: Key tree deleted successfully/);
    assert.doesNotMatch(await recall.cli("database show tree"), /\/tree\//);
    c.send({ Action: "DBGet", Family: "tree", Key: "a/b", ActionID: "g" });
    await c.until(/Response: Error\r\nActionID: g\r\nMessage: Database entry not found/);
    c.send({ Action: "Setvar", Variable: "AMI_GLOBAL", Value: "g1", ActionID: "sg" });
    await c.until(/ActionID: sg\r\nMessage: Variable Set\r\n/);
    c.send({ Action: "GetVar", Variable: "AMI_GLOBAL", ActionID: "gg" });
    await c.until(/ActionID: gg\r\nVariable: AMI_GLOBAL\r\nValue: g1\r\n/);
    c.send({ Action: "MailboxCount", Mailbox: "6001@default", ActionID: "mc" });
    await c.until(/ActionID: mc\r\nMessage: Mailbox Message Count\r\nMailbox: 6001@default\r\nUrgMessages: 0\r\nNewMessages: 0\r\nOldMessages: 0\r\n/);
    c.send({ Action: "GetVar", Variable: "X", Channel: "PJSIP/none-00000000", ActionID: "gv" });
    await c.until(/Response: Error\r\nActionID: gv\r\nMessage: No such channel/);
    c.send({ Action: "Originate", Channel: "PJSIP/nosuch", Context: "ami-test", Exten: "100", Async: "yes", ActionID: "bad" });
    await c.until(/Event: OriginateResponse\r\nPrivilege: call,all\r\nActionID: bad\r\nResponse: Failure\r\nChannel: PJSIP\/nosuch\r\n[^]*?Reason: 0\r\n/);
  } finally { c.close(); }
});

test("PJSIPQualify: an OPTIONS to the phone's contact now; nobody answers it, so ContactStatus Unreachable", async () => {
  const c = await admin();
  try {
    c.send({ Action: "PJSIPQualify", Endpoint: "nosuch", ActionID: "q0" });
    await c.until(/ActionID: q0\r\nMessage: Unable to retrieve endpoint nosuch\r\n/);
    c.send({ Action: "PJSIPQualify", Endpoint: "6001", ActionID: "q1" });
    await c.until(/Response: Success\r\nActionID: q1\r\nMessage: Endpoint found, will qualify\r\n/);
    await c.until(/Event: ContactStatus\r\nPrivilege: system,all\r\nURI: sip:[^\r]*\r\nContactStatus: Unreachable\r\nAOR: 6001\r\nEndpointName: 6001\r\n/, 15_000);
  } finally { c.close(); }
});

test("without webenabled = yes in manager.conf there is no HTTP manager: /rawman is 404 while the HTTP server runs", async () => {
  const port = await freePort();
  const other = await startRecall({ "pjsip.conf": pjsip(await freePort(), await freePort()), "extensions.conf": extensions, "manager.conf": manager(await freePort(), ""), "http.conf": httpConf(port) });
  try {
    await other.waitFor(/AMI listening on/);
    assert.equal((await fetch(`http://127.0.0.1:${port}/rawman?action=Ping`)).status, 404);
    assert.doesNotMatch(await other.cli("http show status"), /rawman/);
  } finally { await other.stop(); }
});

test("a manager port already taken costs AMI, not the PBX: an ERROR, and Recall starts", async () => {
  const other = await startRecall({ "pjsip.conf": pjsip(await freePort(), await freePort()), "extensions.conf": extensions, "manager.conf": manager(amiPort) });
  try {
    await assertLogged(other.dataDir, /ERROR\[\d+\] manager\.c: AMI could not listen on 127\.0\.0\.1:\d+: .*EADDRINUSE.*; AMI is off/);
    assert.match(await other.cli("core show version"), /Recall/);
  } finally { await other.stop(); }
});

test("the log all this wrote replays with no divergence", async () => {
  const { stdout } = await run(process.execPath, [join(packageRoot, "bin", "recall.js"), "replay", "--data", recall.dataDir, "--verify"]);
  assert.match(stdout, /^\d+ events, 0 divergences/);
});
