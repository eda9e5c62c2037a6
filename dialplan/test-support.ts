/**
 * The executor's own test double: a DialplanChannel in virtual time. Digits and the
 * far end's hang-up are scheduled at virtual instants; sleeping, reading digits and
 * playing files advance the clock instead of waiting, so a test of a 30-second call
 * takes microseconds and always gives the same result. (The call layer's end-to-end
 * tests use real SIP; this is only for the dialplan runtime.)
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  HangupError, type AudioSocketOutcome, type DialOutcome, type DialRequest, type DialplanChannel, type MediaResult,
  type MixMonitorRequest, type MixMonitorStarted, type RedirectingParty,
} from "../calls/channel-api.js";
import type { ChannelContext } from "../events/catalogue/channel.js";
import { MemoryAstDb } from "./astdb.js";
import type { DialplanDeps } from "./executor.js";

export interface TestChannelOptions {
  readonly name?: string;
  readonly callerNum?: string;
  readonly callerName?: string;
  readonly context?: string;
  readonly exten?: string;
  readonly vars?: Record<string, string>;
  /** Milliseconds each sound file lasts (default 1000); a file mapped to -1 does not exist. */
  readonly fileMs?: Readonly<Record<string, number>>;
  /** What Dial() gets back. */
  readonly onDial?: (request: DialRequest, channel: TestChannel) => DialOutcome | Promise<DialOutcome>;
  /** Start time, µs since the epoch (default 2024-01-01T00:00:00Z). */
  readonly startUs?: number;
  /** What AudioSocket() gets back, after `ms` of virtual time (default: the service hangs up after 1 s). */
  readonly onAudioSocket?: (uuid: string, service: string) => { outcome: AudioSocketOutcome; ms?: number };
  /** MixMonitor on this channel fails with this message (no media). */
  readonly mixMonitorFails?: string;
}

export interface LogLine {
  readonly level: string;
  readonly source: string;
  readonly message: string;
}

export class TestChannel implements DialplanChannel {
  readonly id: string;
  private readonly aborter = new AbortController();
  private ctx: ChannelContext;
  private value = "ring";
  private nowUs: number;
  private readonly start: number;
  private readonly pending: Array<{ at: number; digit: string }> = [];
  private hangupAtUs: number | undefined;
  /** Everything the dialplan did, in order: `exten ctx,ext,prio`, `app Name(data)`, `answer`, `hangup 16`, ... */
  readonly events: string[] = [];
  readonly logs: LogLine[] = [];
  readonly played: string[] = [];
  readonly dials: DialRequest[] = [];
  readonly redirecting: RedirectingParty[] = [];
  readonly language = "en";
  /** MixMonitor recordings: running ones have no `stoppedAtMs`. */
  readonly recordings: (MixMonitorRequest & { id: string; stoppedAtMs?: number })[] = [];

  constructor(private readonly options: TestChannelOptions = {}) {
    this.nowUs = this.start = options.startUs ?? 1_704_067_200_000_000;
    const name = options.name ?? "PJSIP/6001-00000001";
    this.id = `channel:${name}`;
    this.ctx = {
      name, uniqueid: "1704067200.1", linkedid: "1704067200.1", tech: "PJSIP", direction: "in", endpoint: "6001",
      callerId: { num: options.callerNum ?? "6001", name: options.callerName ?? "Alice" }, connected: { num: "", name: "" },
      dnid: options.exten ?? "", ani: options.callerNum ?? "6001", rdnis: "",
      context: options.context ?? "", exten: options.exten ?? "", priority: 1, app: "", appData: "",
      accountcode: "", peeraccount: "", amaflags: "", userfield: "", vars: { ...(options.vars ?? {}) }, createdAt: this.nowUs,
    };
  }

  // ---- scripting ----------------------------------------------------------------------

  /** The caller presses `digits` (one per 100 ms) starting `atMs` after the start. */
  press(atMs: number, digits: string): this {
    [...digits].forEach((d, i) => this.pending.push({ at: this.start + (atMs + i * 100) * 1000, digit: d }));
    this.pending.sort((a, b) => a.at - b.at);
    return this;
  }

  /** The far end hangs up `atMs` after the start. */
  hangUpAt(atMs: number): this {
    this.hangupAtUs = this.start + atMs * 1000;
    return this;
  }

  /** Milliseconds of virtual time since the start. */
  elapsedMs(): number { return (this.nowUs - this.start) / 1000; }

  /** The applications run, as `Name(data)`. */
  apps(): string[] {
    return this.events.filter((e) => e.startsWith("app ")).map((e) => e.slice(4));
  }

  warnings(): string[] {
    return this.logs.filter((l) => l.level === "WARNING" || l.level === "ERROR").map((l) => l.message);
  }

  // ---- DialplanChannel ------------------------------------------------------------------

  get signal(): AbortSignal { return this.aborter.signal; }
  context = (): ChannelContext => this.ctx;
  state = (): string => this.value;
  now(): number { return this.nowUs; }

  private remoteHangup(): never {
    this.nowUs = Math.max(this.nowUs, this.hangupAtUs!);
    this.hangupAtUs = undefined;
    this.ended(16, this.ctx.name);
    throw new HangupError();
  }

  private check(): void {
    if (this.aborter.signal.aborted) throw new HangupError();
  }

  async sleep(ms: number): Promise<void> {
    this.check();
    const until = this.nowUs + ms * 1000;
    if (until - this.start > 86_400_000_000) throw new Error("test channel: more than a day of virtual time (waiting for a hang-up nobody scheduled?)");
    if (this.hangupAtUs !== undefined && this.hangupAtUs <= until) this.remoteHangup();
    this.nowUs = until;
  }

  newExten(context: string, exten: string, priority: number): void {
    this.ctx = { ...this.ctx, context, exten, priority };
    this.events.push(`exten ${context},${exten},${priority}`);
  }
  appStart(app: string, data: string): void {
    this.ctx = { ...this.ctx, app, appData: data };
    this.events.push(`app ${app}(${data})`);
  }
  appEnd(_app: string): void { /* the start is enough for the tests */ }
  setVariable(name: string, value: string): void {
    const vars = { ...this.ctx.vars };
    if (value === "") delete vars[name]; else vars[name] = value;
    this.ctx = { ...this.ctx, vars };
  }
  setCdrField(field: "accountcode" | "userfield" | "amaflags" | "peeraccount" | "dstchannel", value: string): void {
    this.ctx = { ...this.ctx, [field]: value };
  }
  setCallerId(party: { num?: string; name?: string }): void {
    this.ctx = { ...this.ctx, callerId: { ...this.ctx.callerId, ...party } };
  }
  setConnected(party: { num?: string; name?: string }): void {
    this.ctx = { ...this.ctx, connected: { ...this.ctx.connected, ...party } };
  }
  setRedirecting(party: RedirectingParty): void { this.redirecting.push(party); }
  userEvent(name: string, extra: string): void { this.events.push(`userevent ${name} ${extra}`); }

  async answer(): Promise<void> {
    this.check();
    if (this.value === "up") return;
    this.value = "up";
    this.ctx = { ...this.ctx, answeredAt: this.nowUs };
    this.events.push("answer");
  }
  ringing(): void { if (this.value !== "up") this.value = "ringing"; this.events.push("ringing"); }
  progress(): void { if (this.value !== "up") this.value = "progress"; this.events.push("progress"); }
  busy(): void { if (this.value !== "up") this.value = "busy"; this.events.push("busy"); }
  congestion(): void { this.events.push("congestion"); }

  hangup(cause: number): void {
    if (this.aborter.signal.aborted) return;
    this.ended(cause, "dialplan/builtin");
  }

  private ended(cause: number, by: string): void {
    this.value = "hungup";
    this.ctx = { ...this.ctx, hangupCause: cause, hangupSource: by, hungupAt: this.nowUs };
    this.events.push(`hangup ${cause}`);
    this.aborter.abort();
  }

  async dial(request: DialRequest): Promise<DialOutcome> {
    this.check();
    this.dials.push(request);
    const outcome = this.options.onDial ? await this.options.onDial(request, this) : { status: "CHANUNAVAIL" as const };
    return outcome;
  }

  /** For onDial scripts: let virtual time pass during the dial (the far end may hang up). */
  async pass(ms: number): Promise<void> { await this.sleep(ms); }

  async bridgeWith(channelName: string): Promise<DialOutcome> {
    this.check();
    return channelName.startsWith("PJSIP/") ? { status: "ANSWER", peerName: channelName } : { status: "CHANUNAVAIL" };
  }

  /** Pickups in these tests find nothing (the real ones are end to end: calls/pickup.e2e.test.ts). */
  async pickup(): Promise<string | undefined> {
    this.check();
    return undefined;
  }

  async play(files: readonly string[], options: { stopOnDigits?: string; noAnswer?: boolean } = {}): Promise<MediaResult> {
    this.check();
    if (!options.noAnswer && this.value !== "up") await this.answer();
    let status: MediaResult["status"] = "SUCCESS";
    for (const file of files) {
      const ms = this.options.fileMs?.[file] ?? 1000;
      if (ms < 0) { status = "FAILED"; this.log("WARNING", "file.c", `File ${file} does not exist in any format`); continue; }
      this.played.push(file);
      const end = this.nowUs + ms * 1000;
      if (options.stopOnDigits) {
        for (;;) {
          const next = this.pending[0];
          if (!next || next.at > end) break;
          if (this.hangupAtUs !== undefined && this.hangupAtUs <= next.at) this.remoteHangup();
          this.pending.shift();
          this.nowUs = Math.max(this.nowUs, next.at);
          if (options.stopOnDigits.includes(next.digit)) return { status, digit: next.digit };
        }
      }
      if (this.hangupAtUs !== undefined && this.hangupAtUs <= end) this.remoteHangup();
      this.nowUs = end;
    }
    return { status };
  }

  async readDigit(timeoutMs: number): Promise<string | undefined> {
    this.check();
    const until = this.nowUs + timeoutMs * 1000;
    const next = this.pending[0];
    if (next && next.at <= until && (this.hangupAtUs === undefined || next.at < this.hangupAtUs)) {
      this.pending.shift();
      this.nowUs = Math.max(this.nowUs, next.at);
      return next.digit;
    }
    if (this.hangupAtUs !== undefined && this.hangupAtUs <= until) this.remoteHangup();
    this.nowUs = until;
    return undefined;
  }

  tones(toneList: string): void { this.events.push(`tones ${toneList}`); }
  stopTones(): void { this.events.push("stoptones"); }

  async musicOnHold(className: string, seconds?: number): Promise<void> {
    this.events.push(`moh ${className}`);
    if (this.value !== "up") await this.answer();
    if (seconds !== undefined) { await this.sleep(seconds * 1000); return; }
    await this.waitForever();
  }

  /** Echo: until the caller presses `#` (digits scheduled with press()). */
  async echo(): Promise<void> {
    if (this.value !== "up") await this.answer();
    this.events.push("echo");
    for (;;) {
      const d = await this.readDigit(60_000);
      if (d === "#") return;
      if (d === undefined && !this.pending.length) await this.waitForever();
    }
  }

  async startMusicOnHold(className: string): Promise<void> {
    this.check();
    if (this.value !== "up") this.progress();
    this.events.push(`moh-start ${className}`);
  }
  stopMusicOnHold(): void { this.events.push("moh-stop"); }

  async startMixMonitor(request: MixMonitorRequest): Promise<MixMonitorStarted> {
    this.check();
    if (this.options.mixMonitorFails) throw new Error(this.options.mixMonitorFails);
    const id = `MixMonitor-${this.recordings.length + 1}`;
    const path = (name: string) => (name.startsWith("/") ? name : `/var/spool/asterisk/monitor/${name}`);
    this.recordings.push({ ...request, id });
    this.events.push(`mixmonitor ${request.file}`);
    return {
      id, done: Promise.resolve({ durationMs: 0 }),
      ...(request.file ? { file: path(request.file) } : {}),
      ...(request.rxFile ? { rxFile: path(request.rxFile) } : {}),
      ...(request.txFile ? { txFile: path(request.txFile) } : {}),
    };
  }

  async stopMixMonitor(id?: string): Promise<boolean> {
    const r = this.recordings.find((x) => x.stoppedAtMs === undefined && (id === undefined || x.id === id));
    if (!r) return false;
    r.stoppedAtMs = this.elapsedMs();
    this.events.push(`stopmixmonitor ${r.id}`);
    return true;
  }

  async audioSocket(uuid: string, service: string): Promise<AudioSocketOutcome> {
    this.check();
    this.events.push(`audiosocket ${uuid} ${service}`);
    const { outcome, ms = 1000 } = this.options.onAudioSocket?.(uuid, service) ?? { outcome: { status: "HANGUP" as const, connected: true } };
    await this.sleep(ms);
    return outcome;
  }

  private async waitForever(): Promise<void> {
    this.check();
    if (this.hangupAtUs !== undefined) this.remoteHangup();
    // Nobody will ever hang up: fail loudly instead of hanging the test.
    throw new Error("test channel would wait forever (no hang-up scheduled)");
  }

  log(level: "VERBOSE" | "NOTICE" | "WARNING" | "ERROR" | "DEBUG", source: string, message: string): void {
    this.logs.push({ level, source, message });
  }
}

/** Dependencies for a test run: fresh globals and AstDB, not living dangerously. */
export function testDeps(overrides: Partial<DialplanDeps> = {}): DialplanDeps {
  return { globals: new Map<string, string>(), astdb: new MemoryAstDb(), liveDangerously: false, ...overrides };
}

/** Seed 003's AEL login/logout example, unchanged (its queues-loginout, queues-manip and the two macros): compiled in ael.test.ts, run against real queues in apps/queue.e2e.test.ts. */
export const SEED_QUEUE_LOGIN_AEL = `
context queues-loginout {
6092 => {
Answer();
Read(AGENT_NUMBER,agent-enternum);
VMAuthenticate(\${AGENT_NUMBER}@default,s);
Set(queue-announce-success=1);
goto queues-manip,I\${AGENT_NUMBER},1;
}
6093 => {
Answer();
Read(AGENT_NUMBER,agent-enternum);
Set(queue-announce-success=1);
goto queues-manip,O\${AGENT_NUMBER},1;
}
}
context queues-manip {
// Raquel Squelch
_[IO]6121 => {
&queue-addremove(dispatch,10,\${EXTEN});
&queue-success(\${EXTEN});
}
// Brittanica Spears
_[IO]6165 => {
&queue-addremove(dispatch,20,\${EXTEN});
&queue-success(\${EXTEN});
}
// Rock Hudson
_[IO]6170 => {
&queue-addremove(sales-general,10,\${EXTEN});
&queue-addremove(customerservice,20,\${EXTEN});
&queue-addremove(dispatch,30,\${EXTEN});
&queue-success(\${EXTEN});
}
// Saline Dye-on
_[IO]6070 => {
&queue-addremove(sales-general,20,\${EXTEN});
&queue-addremove(customerservice,30,\${EXTEN});
&queue-addremove(dispatch,30,\${EXTEN});
&queue-success(\${EXTEN});
}
}
macro queue-success(exten) {
if (\${queue-announce-success} > 0) {
switch(\${exten:0:1}) {
case I:
Playback(agent-loginok);
Hangup();
break;
case O:
Playback(agent-loggedoff);
Hangup();
break;
}
}
}
macro queue-addremove(queuename, penalty, exten) {
switch(\${exten:0:1}) {
case I:
AddQueueMember(\${queuename},Local/\${exten:1}@agents,\${penalty});
break;
case O:
RemoveQueueMember(\${queuename},Local/\${exten:1}@agents);
break;
case P:
PauseQueueMember(\${queuename},Local/\${exten:1}@agents);
break;
case U:
UnpauseQueueMember(\${queuename},Local/\${exten:1}@agents);
break;
default:
Playback(invalid);
break;
}
}
`;


/** DATA/queue_log as a real Recall wrote it, each line split at `|`. */
export function queueLogLines(dataDir: string): string[][] {
  return readFileSync(join(dataDir, "queue_log"), "utf8").split("\n").filter(Boolean).map((l) => l.split("|"));
}

/** queue_log's lines once `done` holds for them (they are written a moment after the call ends), or as they are after `timeoutMs`. */
export async function waitForQueueLines(dataDir: string, done: (lines: string[][]) => boolean, timeoutMs = 5000): Promise<string[][]> {
  // Counted polls rather than the wall clock: nothing under dialplan/ reads the time itself.
  for (let polls = Math.ceil(timeoutMs / 100); ; polls--) {
    let lines: string[][] = [];
    try { lines = queueLogLines(dataDir); } catch { /* not written yet */ }
    if (done(lines) || polls <= 0) return lines;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** queue_log's lines once one matches `pattern`, or as they are after `timeoutMs`. */
export function waitForQueueLog(dataDir: string, pattern: RegExp, timeoutMs = 5000): Promise<string[][]> {
  return waitForQueueLines(dataDir, (lines) => lines.some((l) => pattern.test(l.join("|"))), timeoutMs);
}
