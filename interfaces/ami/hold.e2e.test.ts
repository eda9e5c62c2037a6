/**
 * Hold as channel state, end to end: a real `recall start`; phone 6001 (sipp) calls
 * 6002 (sipp) through Dial(), puts the call on hold with a re-INVITE (a=sendonly),
 * then takes it off (sendrecv). The channel logs `hold`/`unhold`; an AMI client sees
 * Hold, Unhold, DeviceStateChange ONHOLD and ExtensionStatus Hold; a third phone
 * SUBSCRIBEd to 6001's dialog state gets the on-hold NOTIFY (RFC 4235 `+sip.rendering`
 * = no); and the log replays with no divergence.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createConnection, type Socket } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort, startRecall, type RecallProcess } from "../cli/recall-process.js";
import { packageRoot } from "../cli/paths.js";
import { runSipp, startSipp } from "../../sip/sipp/sipp.js";
import { registerWithAuth } from "../../sip/sipp/scenarios.js";
import { holdingCaller, reinvitedCallee } from "../../sip/sipp/reinvite-scenarios.js";
import { subscriber } from "../../sip/sipp/subscribe-scenarios.js";

const run = promisify(execFile);
let recall: RecallProcess;
let sipPort: number, amiPort: number, phoneA: number, phoneB: number;

const endpoint = (n: string, extra = "") => `
[${n}]
type = endpoint
context = hold-test
disallow = all
allow = ulaw
auth = ${n}
aors = ${n}
${extra}
[${n}]
type = auth
auth_type = userpass
username = ${n}
password = pw-${n}
`;

const pjsip = (port: number, b: number) => `
[udp]
type = transport
protocol = udp
bind = 127.0.0.1:${port}
${endpoint("6001")}
[6001]
type = aor
max_contacts = 1
${endpoint("6002")}
[6002]
type = aor
contact = sip:6002@127.0.0.1:${b}
${endpoint("6003")}
[6003]
type = aor
max_contacts = 1
`;

const extensions = `
[hold-test]
exten => 6002,1,Dial(PJSIP/6002)
 same => n,Hangup()
exten => 6001,hint,PJSIP/6001
`;

const manager = (port: number) => `
[general]
enabled = yes
port = ${port}
bindaddr = 127.0.0.1
[admin]
secret = pw
read = all
write = all
`;

before(async () => {
  [sipPort, amiPort, phoneA, phoneB] = [await freePort(), await freePort(), await freePort(), await freePort()];
  recall = await startRecall({ "pjsip.conf": pjsip(sipPort, phoneB), "extensions.conf": extensions, "manager.conf": manager(amiPort) });
  await recall.waitFor(/AMI listening on/);
  const reg = await runSipp({ scenario: registerWithAuth({ expires: 600 }), target: `127.0.0.1:${sipPort}`, calls: 1, localPort: phoneA, inject: "SEQUENTIAL\n6001;pw-6001\n", timeoutMs: 20_000 });
  assert.equal(reg.code, 0, reg.errors);
});
after(async () => { await recall?.stop(); });

function amiClient(): Promise<{ text: () => string; until: (re: RegExp) => Promise<RegExpMatchArray>; send: (headers: Record<string, string>) => void; close: () => void }> {
  const socket: Socket = createConnection(amiPort, "127.0.0.1");
  let text = "";
  socket.setEncoding("utf8");
  socket.on("data", (d: string) => { text += d; });
  const until = (re: RegExp, timeoutMs = 15_000) => new Promise<RegExpMatchArray>((resolve, reject) => {
    const end = Date.now() + timeoutMs;
    const check = () => {
      const m = text.match(re);
      if (m) resolve(m);
      else if (Date.now() > end) reject(new Error(`timed out waiting for ${re}:\n${text.slice(-4000)}`));
      else setTimeout(check, 50);
    };
    check();
  });
  socket.write("Action: Login\r\nUsername: admin\r\nSecret: pw\r\n\r\n");
  const send = (headers: Record<string, string>) => socket.write(Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("") + "\r\n");
  return until(/Message: Authentication accepted/).then(() => ({ text: () => text, until, send, close: () => socket.destroy() }));
}

test("a phone's hold re-INVITE: hold/unhold logged on its channel, AMI Hold/Unhold, device ONHOLD, ExtensionStatus, dialog NOTIFY", async () => {
  const ami = await amiClient();
  try {
    const watcherPort = await freePort();
    const watcher = startSipp({
      scenario: subscriber({
        exten: "6001", event: "dialog", accept: "application/dialog-info+xml",
        bodies: [
          'version="0".*<state>terminated</state>',
          'version="1".*<state>confirmed</state>',
          'version="2".*<state>confirmed</state>.*<param pname="\\+sip\\.rendering" pvalue="no"/>',
          'version="3".*<state>confirmed</state>',
          'version="4".*<state>terminated</state>',
        ],
      }),
      target: `127.0.0.1:${sipPort}`, localPort: watcherPort, calls: 1, inject: "SEQUENTIAL\n6003;pw-6003\n", timeoutMs: 40_000,
    });
    const deadline = Date.now() + 10_000;
    while (!/6001@hold-test\s*: PJSIP\/6001\s+State:Idle .*Watchers  1/.test(await recall.cli("core show hints"))) {
      if (Date.now() > deadline) throw new Error(await recall.cli("core show hints"));
      await new Promise((r) => setTimeout(r, 100));
    }
    // Both phones allow direct media: each re-INVITE of 6001 is relayed to 6002, which takes both.
    const callee = startSipp({ scenario: reinvitedCallee({ status: 200, ringMs: 100, mediaPort: await freePort(), reinvites: 2 }), localPort: phoneB, calls: 1, timeoutMs: 30_000 });
    const calling = startSipp({
      scenario: holdingCaller({ exten: "6002", from: "6001", auth: true, mediaPort: await freePort(), reinviteAfterMs: 500, direction: "sendonly", resumeAfterMs: 1500, holdMs: 500 }),
      target: `127.0.0.1:${sipPort}`, localPort: phoneA, calls: 1, inject: "SEQUENTIAL\n6001;pw-6001\n", timeoutMs: 30_000,
    });
    // While on hold, the ExtensionState action reads the same state as the hint's watchers.
    await ami.until(/Event: Hold\r\n/);
    ami.send({ Action: "ExtensionState", Exten: "6001", Context: "hold-test", ActionID: "es" });
    await ami.until(/ActionID: es\r\nMessage: Extension Status\r\nExten: 6001\r\nContext: hold-test\r\nHint: PJSIP\/6001\r\nStatus: 16\r\nStatusText: Hold\r\n/);
    const caller = await calling.done;
    assert.equal(caller.code, 0, caller.errors);
    assert.equal((await callee.done).code, 0);
    const watched = await watcher.done;
    assert.equal(watched.code, 0, `${watched.errors.slice(-3000)}\n${watched.stdout.slice(-2000)}`);

    const [, channel] = await ami.until(/Event: Hold\r\nPrivilege: call,all\r\nChannel: (PJSIP\/6001-\w+)\r\nChannelState: 6\r\nChannelStateDesc: Up\r\n/);
    await ami.until(new RegExp(`Event: Unhold\\r\\nPrivilege: call,all\\r\\nChannel: ${channel.replace("/", "\\/")}\\r\\n`));
    await ami.until(/Event: Hangup\r\nPrivilege: call,all\r\nChannel: PJSIP\/6001-/);
    const text = ami.text();
    const order = [...text.matchAll(/Event: (Hold|Unhold|DeviceStateChange|ExtensionStatus)\r\n[^]*?\r\n\r\n/g)]
      .map((m) => m[0]).filter((e) => !/^Event: (DeviceStateChange|ExtensionStatus)\r\n[^]*?(Device: PJSIP\/6002|Exten: 6002)\r\n/.test(e))
      .map((e) => `${/Event: (\w+)/.exec(e)![1]} ${/\r\n(?:State|StatusText): (\S+)\r\n/.exec(e)?.[1] ?? ""}`.trim());
    assert.deepEqual(order, [
      "DeviceStateChange INUSE", "ExtensionStatus InUse",
      "Hold", "DeviceStateChange ONHOLD", "ExtensionStatus Hold",
      "Unhold", "DeviceStateChange INUSE", "ExtensionStatus InUse",
      "DeviceStateChange NOT_INUSE", "ExtensionStatus Idle",
    ]);
    assert.match(text, /Event: ExtensionStatus\r\nPrivilege: call,all\r\nExten: 6001\r\nContext: hold-test\r\nHint: PJSIP\/6001\r\nStatus: 16\r\nStatusText: Hold\r\n/);
  } finally { ami.close(); }
});

test("the log all this wrote replays with no divergence", async () => {
  const { stdout } = await run(process.execPath, [join(packageRoot, "bin", "recall.js"), "replay", "--data", recall.dataDir, "--verify"]);
  assert.match(stdout, /^\d+ events, 0 divergences/);
});
