/**
 * The dialplan executor: runs one channel through extensions.conf the way Asterisk's
 * pbx loop does. For each priority it reports the position, substitutes the data,
 * runs the application and moves on; it handles Goto/Gosub positions, digits
 * collected by Background/WaitExten, the special extensions (`i` invalid, `t` response
 * timeout, `T` absolute timeout, `e` for any of the three when missing, `h` after
 * hang-up), autofallthrough, runaway loops and unknown applications.
 *
 * It touches the call only through DialplanChannel, reads time only from
 * channel.now()/sleep(), and keeps nothing global: the same inputs give the same run.
 */
import { HangupError, type DialplanChannel } from "../calls/channel-api.js";
import type { Dialplan } from "./model.js";
import { findExtension, findLabel } from "./lookup.js";
import { searchExtension, settledSearch, type FoundPriority, type Position, type Switches } from "./search.js";

export type { FoundPriority, Position } from "./search.js";
export { parseLoopback } from "./search.js";
import { substitute } from "./substitute.js";
import { bareName } from "./variables.js";
import { splitArguments, splitFunctionCall } from "./functions.js";
import type { AstDb } from "./astdb.js";
import type { AgiServices } from "./apps/agi/services.js";
import type { StasisServices } from "./apps/stasis.js";
import { Cause } from "../calls/hangup-causes.js";
import type { QueueService } from "../actors/queue/service.js";
import type { VoicemailConf } from "./voicemail-conf.js";
import { findApplication, type AppResult } from "./apps/index.js";
import { readChannelFunction, writeChannelFunction, type DialplanFunction } from "./channel-functions.js";

/** Global variables: a Map<string, string> will do; the runtime may back it with logged state. */
export interface Globals {
  get(name: string): string | undefined;
  set(name: string, value: string): unknown;
  delete(name: string): unknown;
  entries(): IterableIterator<[string, string]>;
}

/** Things outside the PBX that the dangerous functions (SHELL, FILE) reach, injected by the runtime. */
export interface OutsideWorld {
  shell?(command: string): string;
  readFile?(path: string): string;
  writeFile?(path: string, data: string, append: boolean): void;
}

export interface DialplanDeps {
  readonly globals: Globals;
  readonly astdb: AstDb;
  /** asterisk.conf `live_dangerously`: SHELL/FILE and friends are refused without it. */
  readonly liveDangerously: boolean;
  /** Who asked: the dialplan itself, or an external interface (AMI/ARI), which never gets dangerous functions without live_dangerously. */
  readonly origin?: "dialplan" | "ami" | "ari" | "agi";
  /** Priorities run without the clock moving before the run is cut as a loop (default 10,000). */
  readonly maxSteps?: number;
  /** PJSIP_DIAL_CONTACTS(endpoint[,aor[,request_user]]) resolver. */
  readonly dialContacts?: (endpoint: string, aor?: string, requestUser?: string) => string;
  readonly outside?: OutsideWorld;
  /** AGI's links to its programs (FastAGI, local processes) and its log of their commands. */
  readonly agi?: AgiServices;
  /** ARI's applications, for Stasis(). */
  readonly stasis?: StasisServices;
  /** Zone for GotoIfTime / time-based includes (default: the process's). */
  readonly timezone?: string;
  /** Extra functions by upper-case name, ahead of the built-in ones (DEVICE_STATE, MESSAGE, ... from other modules). */
  readonly functions?: ReadonlyMap<string, DialplanFunction>;
  /** Extra applications by lower-case name, ahead of the built-in ones (Queue, AGI, ... from other modules). */
  readonly applications?: ReadonlyMap<string, Application>;
  /** SYSTEMNAME / ENTITYID built-ins. */
  readonly systemName?: string;
  /** Names of the live channels, for CHANNELS(). */
  readonly channels?: () => readonly string[];
  /** voicemail.conf's mailboxes (VMAuthenticate). */
  readonly mailboxes?: VoicemailConf;
  /** The queues (Queue(), AddQueueMember, QUEUE_* ...); absent, those applications say there are none. */
  readonly queues?: QueueService;
  /** Switches other than Loopback (`switch => Module/data`, e.g. to another Recall node): see search.ts. */
  readonly switches?: Switches;
}

/** An application: gets the substituted data, says where the dialplan goes next. */
export type Application = (env: ExecutionEnv, data: string) => AppResult | Promise<AppResult>;

/** A Gosub frame: where Return goes, and the LOCAL() variables to restore then. */
interface Frame {
  readonly returnTo: Position;
  /** Variable → its value before the frame shadowed it (undefined: it did not exist). */
  readonly saved: Map<string, string | undefined>;
  /** A frame pushed by runSubroutine: its Return ends that run. */
  readonly isolated: boolean;
}

export interface ExceptionInfo {
  readonly reason: string;
  readonly context: string;
  readonly exten: string;
  readonly priority: number;
}

/** Thrown by waits when TIMEOUT(absolute) expires: the executor then goes to `T`. */
export class AbsoluteTimeout extends Error {
  constructor() { super("absolute timeout"); this.name = "AbsoluteTimeout"; }
}

function isHangup(e: unknown): boolean {
  return e instanceof HangupError;
}

/**
 * What applications and functions may use of the executor. Applications change the
 * call only through `channel` and the helpers here.
 */
export interface ExecutionEnv {
  readonly channel: DialplanChannel;
  readonly dialplan: Dialplan;
  readonly deps: DialplanDeps;
  readonly position: Readonly<Position>;
  /** Response and digit timeouts (ms); absolute deadline (µs since epoch) if set. */
  readonly timeouts: { responseMs: number; digitMs: number; absoluteAt?: number };
  exception?: ExceptionInfo;
  /** HANGUPCAUSE_KEYS data: channel name → causes. */
  readonly hangupCauses: Map<string, { readonly cause: number; readonly tech: string }>;
  /** Q.850 cause of the last failed Dial, for ${HANGUPCAUSE} before the channel itself ends. */
  lastDialCause?: number;
  /** REDIRECTING() values kept for reads. */
  readonly redirecting: Map<string, string>;
  /** CHANNEL(hangup_handler_push) targets, run after `h`, last pushed first. */
  readonly hangupHandlers: string[];
  /** CHANNEL(musicclass), CHANNEL(language) as set in the dialplan. */
  readonly channelSettings: Map<string, string>;

  getVar(name: string): string | undefined;
  setVar(name: string, value: string): void;
  /** LOCAL(name)=value: shadows the variable until the current Gosub frame returns. */
  setLocal(name: string, value: string): void;
  /** The value of `name` in the frame `depth` levels up (LOCAL_PEEK). */
  peekLocal(depth: number, name: string): string;
  substitute(text: string): string;
  readFunction(name: string, args: string): string | undefined;
  /** Set(FUNC(args)=value); false when FUNC has no write side. */
  writeFunction(name: string, args: string, value: string): boolean;
  warn(source: string, message: string): void;
  verbose(message: string): void;

  /** Waits that end early at the absolute timeout (AbsoluteTimeout) or hang-up (HangupError). */
  sleep(ms: number): Promise<void>;
  readDigit(ms: number): Promise<string | undefined>;
  /** Runs a channel operation that cannot be capped, ending it at the absolute timeout. */
  guard<T>(run: (signal: AbortSignal | undefined) => Promise<T>): Promise<T>;
  /** Until the channel hangs up, or `seconds` pass. */
  waitForHangup(seconds?: number): Promise<void>;

  /** Resolves `[[context,]exten,]priority` (number, +n/-n or label); a string is the warning. */
  resolveGoto(target: string): Position | string;
  exists(context: string, exten: string, priority?: number): boolean;
  /** Gosub: pushes a frame returning after the current priority, with ARG1..n. */
  gosub(target: string): AppResult;
  /** Return: pops the frame. */
  gosubReturn(value: string | undefined): AppResult;
  /** Runs `[[context,]exten,]priority(args)` as a subroutine on `channel` (Dial U/b/B, hang-up handlers). */
  runSubroutine(channel: DialplanChannel, target: string): Promise<{ result?: string; retval?: string }>;
}

const DEFAULT_MAX_STEPS = 10_000;

/** Global variables seeded from `[globals]` (what the runtime creates once per load). */
export function globalsFromDialplan(dp: Dialplan): Map<string, string> {
  const m = new Map<string, string>();
  for (const v of [...dp.globals].reverse()) m.set(bareName(v.name), v.value);
  return m;
}

class Executor implements ExecutionEnv {
  readonly position: Position;
  readonly timeouts: { responseMs: number; digitMs: number; absoluteAt?: number } = { responseMs: 10_000, digitMs: 5_000 };
  exception?: ExceptionInfo;
  readonly hangupCauses = new Map<string, { cause: number; tech: string }>();
  lastDialCause?: number;
  readonly redirecting = new Map<string, string>();
  readonly hangupHandlers: string[] = [];
  readonly channelSettings = new Map<string, string>();
  private readonly stack: Frame[] = [];
  private steps = 0;
  private executed = 0;
  /** A wait that took time happened since the last priority (see countStep). */
  private paused = false;
  private inHangup = false;
  private readonly maxSteps: number;

  constructor(readonly channel: DialplanChannel, readonly dialplan: Dialplan, readonly deps: DialplanDeps, start: Position) {
    this.position = { ...start };
    this.maxSteps = deps.maxSteps ?? DEFAULT_MAX_STEPS;
  }

  // ---- the run ---------------------------------------------------------------------

  async run(): Promise<void> {
    let cause: number | undefined;
    try {
      cause = await this.loopWithRedirects();
    } catch (e) {
      if (!isHangup(e)) this.channel.log("ERROR", "pbx.c", `Dialplan of ${this.name} failed at ${this.where()}: ${(e as Error).message}`);
    }
    if (!this.channel.signal.aborted) {
      this.channel.hangup(cause ?? this.channel.context().hangupCause ?? Cause.NORMAL_CLEARING);
    }
    await this.runHangupExtension();
    await this.runHangupHandlers();
  }

  /** The run, taking async gotos (AMI Redirect): the interrupted application ends and the run goes on at the new position. */
  private async loopWithRedirects(): Promise<number | undefined> {
    for (;;) {
      try {
        const cause = await this.loop();
        if (!(await this.redirected())) return cause;
      } catch (e) {
        if (!(await this.redirected())) throw e;
      }
    }
  }

  /** Whether an async goto interrupted the run (then taken: the position moved, or the interrupt's work ran and the run goes on after the application). */
  private async redirected(): Promise<boolean> {
    if (!this.channel.signal.aborted) return false;
    const to = this.channel.takeRedirect?.();
    if (!to) return false;
    if ("run" in to) {
      await to.run();
      this.position.priority++;
      return true;
    }
    this.channel.log("VERBOSE", "pbx.c", `Redirecting ${this.name} to ${to.context},${to.exten},${to.priority}`);
    Object.assign(this.position, to);
    return true;
  }

  private get name(): string { return this.channel.context().name; }

  private where(p: Position = this.position): string {
    return `${p.context},${p.exten},${p.priority}`;
  }

  private callerId(): string {
    return this.channel.context().callerId.num;
  }

  exists(context: string, exten: string, priority = 1): boolean {
    return this.find({ context, exten, priority }) !== undefined;
  }

  private find(p: Position): FoundPriority | undefined {
    return this.search(p, "match");
  }

  /** True when more digits could still match in `context` (switches asked as well). */
  private matchMore(context: string, digits: string): boolean {
    return this.search({ context, exten: digits, priority: 1 }, "matchmore") !== undefined;
  }

  /** The extension search (switches answered, see search.ts); a switch still asking leaves its promise in `pendingSwitch`. */
  private search(p: Position, mode: "match" | "matchmore"): FoundPriority | undefined {
    const env = { callerId: this.callerId(), now: this.channel.now(), channel: this.channel, substitute: (t: string) => this.substitute(t),
      ...(this.deps.timezone ? { timezone: this.deps.timezone } : {}), ...(this.deps.switches ? { switches: this.deps.switches } : {}) };
    const pending: { at?: Promise<unknown> } = {};
    const found = searchExtension(this.dialplan, p, mode, env, pending);
    this.pendingSwitch ??= pending.at;
    return found;
  }

  /** A switch that had to ask the network; `settled` waits for it before searching again. */
  private pendingSwitch: Promise<unknown> | undefined;

  /** Runs searches until no switch is still waiting for its answer (see settledSearch). */
  private settled<T>(search: () => T): Promise<T> {
    return settledSearch((pending) => {
      this.pendingSwitch = undefined;
      const result = search();
      pending.at = this.pendingSwitch;
      this.pendingSwitch = undefined;
      return result;
    });
  }

  /**
   * Runs priorities until the dialplan ends; returns the cause to hang up with, if
   * the run chose one. Throws HangupError when the channel hung up.
   */
  private async loop(): Promise<number | undefined> {
    for (;;) {
      if (this.channel.signal.aborted) throw new HangupError();
      if (this.absoluteExpired()) {
        if (!this.onAbsoluteTimeout()) return undefined;
        continue;
      }
      const found = await this.settled(() => this.find(this.position));
      if (found) {
        if (!(await this.countStep())) return undefined;
        try {
          const r = await this.execute(found.app, found.appData);
          if (this.channel.signal.aborted) throw new HangupError();
          if ((await this.apply(r)) === "end") return r.kind === "end" ? r.cause : undefined;
        } catch (e) {
          if (e instanceof AbsoluteTimeout) continue;
          throw e;
        }
        continue;
      }
      if (!(await this.settled(() => this.exists(this.position.context, this.position.exten, 1)))) {
        if (!this.invalidExtension(this.position.exten, true)) return undefined;
        continue;
      }
      // Ran off the end of an extension (or a priority is missing).
      if (!this.dialplan.general.autoFallthrough) {
        // Without autofallthrough the caller may still dial: wait as WaitExten would.
        try {
          const digit = await this.readDigit(this.timeouts.responseMs);
          if (digit === undefined) { if (!this.responseTimeout()) return undefined; continue; }
          if (!(await this.collect(digit))) return undefined;
        } catch (e) {
          if (!(e instanceof AbsoluteTimeout)) throw e;
        }
        continue;
      }
      return this.fallthrough();
    }
  }

  /**
   * Counts a priority; cuts a loop that runs too many without pausing. A pause is a
   * wait (sleep, digits, media, Dial) during which the clock moved at least 1 ms:
   * with a real clock every priority sees a new microsecond, so "the clock moved"
   * alone would never cut a tight Goto loop.
   */
  private async countStep(): Promise<boolean> {
    if (this.paused) { this.paused = false; this.steps = 0; }
    if (++this.steps > this.maxSteps) {
      this.channel.log("WARNING", "pbx.c", `Dialplan loop on ${this.name}: ${this.maxSteps} priorities ran without a pause, last at ${this.where()} (context '${this.position.context}', extension '${this.position.exten}', priority ${this.position.priority}); hanging up`);
      return false;
    }
    // Let I/O (a hang-up, a digit) in now and then, even in a loop of instant applications.
    if (++this.executed % 64 === 0) await new Promise<void>((r) => setImmediate(r));
    return true;
  }

  /** Reports and runs one application. */
  private async execute(appName: string, rawData: string): Promise<AppResult> {
    const p = this.position;
    this.channel.newExten(p.context, p.exten, p.priority);
    const data = this.substitute(rawData);
    const app = this.deps.applications?.get(appName.toLowerCase()) ?? findApplication(appName);
    if (!app) {
      this.channel.log("WARNING", "pbx.c", `No application '${appName}' for extension (${p.context}, ${p.exten}, ${p.priority})`);
      return { kind: "end" };
    }
    this.channel.log("VERBOSE", "pbx.c", `Executing [${p.exten}@${p.context}:${p.priority}] ${appName}("${this.name}", "${data}") in new stack`);
    this.channel.appStart(appName, data);
    try {
      return await app(this, data);
    } catch (e) {
      if (isHangup(e) || e instanceof AbsoluteTimeout) throw e;
      if (this.channel.signal.aborted) throw new HangupError();
      this.channel.log("ERROR", "pbx.c", `${appName} failed on ${this.name} at ${this.where()}: ${(e as Error).message}`);
      return { kind: "end" };
    } finally {
      this.channel.appEnd(appName);
    }
  }

  /** Moves to where the application said; "end" ends the run. */
  private async apply(r: AppResult): Promise<"next" | "end"> {
    switch (r.kind) {
      case "continue": this.position.priority++; return "next";
      case "goto": Object.assign(this.position, r.to); return "next";
      case "end": return "end";
      case "digits":
        if (r.context) this.position.context = r.context;
        return (await this.collect(r.digits)) ? "next" : "end";
      case "response-timeout": return this.responseTimeout() ? "next" : "end";
      case "exception": this.raise(r.reason); return "next";
    }
  }

  /** Collects more digits while they could still match, then goes to the extension or `i`; false ends the run. */
  private async collect(first: string): Promise<boolean> {
    let digits = first;
    const ctx = this.position.context;
    while (await this.settled(() => this.matchMore(ctx, digits))) {
      const d = await this.readDigit(this.timeouts.digitMs);
      if (d === undefined) break;
      digits += d;
    }
    if (await this.settled(() => this.exists(ctx, digits, 1))) {
      Object.assign(this.position, { exten: digits, priority: 1 });
      return true;
    }
    return this.invalidExtension(digits, false);
  }

  /** Goes to `i` (or raises INVALID to `e`); false when neither exists. */
  private invalidExtension(exten: string, atStart: boolean): boolean {
    const ctx = this.position.context;
    if (this.exists(ctx, "i", 1)) {
      this.channel.log("VERBOSE", "pbx.c", `Sent into invalid extension '${exten}' in context '${ctx}' on ${this.name}`);
      this.setVar("INVALID_EXTEN", exten);
      Object.assign(this.position, { exten: "i", priority: 1 });
      return true;
    }
    if (this.exists(ctx, "e", 1)) {
      this.raise("INVALID");
      return true;
    }
    if (atStart) this.channel.log("WARNING", "pbx.c", `Channel '${this.name}' sent to invalid extension but no invalid handler: context,exten,priority=${ctx},${exten},${this.position.priority}`);
    else this.channel.log("WARNING", "pbx.c", `Invalid extension '${exten}', but no rule 'i' or 'e' in context '${ctx}'`);
    return false;
  }

  /** WaitExten's timeout: `t`, else `e` with RESPONSETIMEOUT; false when neither exists. */
  private responseTimeout(): boolean {
    const ctx = this.position.context;
    if (this.exists(ctx, "t", 1)) {
      this.channel.log("VERBOSE", "pbx.c", `Timeout on ${this.name}, continuing...`);
      Object.assign(this.position, { exten: "t", priority: 1 });
      return true;
    }
    if (this.exists(ctx, "e", 1)) { this.raise("RESPONSETIMEOUT"); return true; }
    this.channel.log("WARNING", "pbx.c", `Timeout, but no rule 't' or 'e' in context '${ctx}'`);
    return false;
  }

  private absoluteExpired(): boolean {
    return this.timeouts.absoluteAt !== undefined && this.channel.now() >= this.timeouts.absoluteAt;
  }

  /** TIMEOUT(absolute) expired: `T`, else `e` with ABSOLUTETIMEOUT; false (hang up) when neither exists. */
  private onAbsoluteTimeout(): boolean {
    delete this.timeouts.absoluteAt;
    const ctx = this.position.context;
    if (this.exists(ctx, "T", 1)) {
      this.channel.log("VERBOSE", "pbx.c", `Absolute timeout on ${this.name}, going to 'T'`);
      Object.assign(this.position, { exten: "T", priority: 1 });
      return true;
    }
    if (this.exists(ctx, "e", 1)) { this.raise("ABSOLUTETIMEOUT"); return true; }
    this.channel.log("VERBOSE", "pbx.c", `Absolute timeout on ${this.name}, no 'T' or 'e' in context '${ctx}': hanging up`);
    return false;
  }

  /** Records the exception (EXCEPTION()) and goes to `e`. */
  private raise(reason: string): void {
    const p = this.position;
    this.exception = { reason, context: p.context, exten: p.exten, priority: p.priority };
    Object.assign(this.position, { exten: "e", priority: 1 });
  }

  /**
   * autofallthrough: the extension has no more priorities. An unanswered caller whose
   * Dial ended busy or congested hears that (up to 10 s), then the call ends.
   */
  private async fallthrough(): Promise<number | undefined> {
    const status = this.getVar("DIALSTATUS") || "UNKNOWN";
    this.channel.log("VERBOSE", "pbx.c", `Auto fallthrough, channel '${this.name}' status is '${status}'`);
    const up = this.channel.state() === "up";
    let cause: number | undefined;
    if (status === "CONGESTION" || status === "CHANUNAVAIL") {
      this.channel.congestion();
      if (!up) cause = Cause.SWITCH_CONGESTION;
    } else if (status === "BUSY") {
      this.channel.busy();
      if (!up) cause = Cause.USER_BUSY;
    } else {
      return Cause.NORMAL_CLEARING;
    }
    await this.waitForHangup(10).catch((e) => { if (!isHangup(e) && !(e instanceof AbsoluteTimeout)) throw e; });
    return cause;
  }

  /** The `h` extension of the current context, if any, after hang-up. */
  private async runHangupExtension(): Promise<void> {
    const ctx = this.position.context;
    if (!this.exists(ctx, "h", 1)) return;
    this.inHangup = true;
    Object.assign(this.position, { exten: "h", priority: 1 });
    this.steps = 0;
    await this.runQuietly();
  }

  /** Runs priorities from the current position until they end; every error ends it. */
  private async runQuietly(stopOnReturnDepth?: number): Promise<void> {
    for (;;) {
      const found = this.find(this.position);
      if (!found) return;
      if (!(await this.countStep())) return;
      let r: AppResult;
      try {
        r = await this.execute(found.app, found.appData);
      } catch {
        return;
      }
      if (r.kind === "end" || r.kind === "digits" || r.kind === "response-timeout" || r.kind === "exception") return;
      if (r.kind === "continue") this.position.priority++;
      else Object.assign(this.position, r.to);
      if (stopOnReturnDepth !== undefined && this.stack.length < stopOnReturnDepth) return;
    }
  }

  private async runHangupHandlers(): Promise<void> {
    while (this.hangupHandlers.length > 0) {
      const target = this.hangupHandlers.pop()!;
      await this.runSubroutine(this.channel, target).catch(() => undefined);
    }
  }

  // ---- variables and substitution ---------------------------------------------------

  private builtin = (name: string): string | undefined => {
    const ctx = this.channel.context();
    const p = this.position;
    switch (name) {
      case "CONTEXT": return p.context;
      case "EXTEN": return p.exten;
      case "PRIORITY": return String(p.priority);
      case "CHANNEL": return ctx.name;
      case "UNIQUEID": return ctx.uniqueid;
      case "LINKEDID": return ctx.linkedid;
      case "CALLERID": return formatCallerId(ctx.callerId.name, ctx.callerId.num);
      case "CALLERIDNUM": return ctx.callerId.num;
      case "CALLERIDNAME": return ctx.callerId.name;
      case "CALLERANI": return ctx.ani;
      case "DNID": return ctx.dnid;
      case "RDNIS": return ctx.rdnis;
      case "HANGUPCAUSE": return String(ctx.hangupCause ?? this.lastDialCause ?? 0);
      case "EPOCH": return String(Math.floor(this.channel.now() / 1e6));
      case "TIMESTAMP": return formatTime(this.channel.now(), "timestamp");
      case "DATETIME": return formatTime(this.channel.now(), "datetime");
      case "SYSTEMNAME": return this.deps.systemName ?? "";
      case "HINT": case "HINTNAME": {
        const r = findExtension(this.dialplan, p.context, p.exten, "", -1);
        if (r.kind !== "found") return "";
        return name === "HINT" ? r.priority.app : r.priority.appData;
      }
      default: return undefined;
    }
  };

  getVar(name: string): string | undefined {
    const b = this.builtin(name);
    if (b !== undefined) return b;
    const vars = this.channel.context().vars;
    for (const n of [name, `_${name}`, `__${name}`]) if (n in vars) return vars[n];
    return this.deps.globals.get(name);
  }

  setVar(name: string, value: string): void {
    const bare = bareName(name);
    const vars = this.channel.context().vars;
    // Setting FOO replaces _FOO and __FOO (one variable, whatever its inheritance).
    for (const existing of Object.keys(vars)) if (existing !== name && bareName(existing) === bare) this.channel.setVariable(existing, "");
    this.channel.setVariable(name, value);
  }

  setLocal(name: string, value: string): void {
    const frame = this.stack[this.stack.length - 1];
    if (!frame) {
      this.warn("app_stack.c", `LOCAL(${name}) used outside a Gosub: setting a channel variable`);
    } else if (!frame.saved.has(name)) {
      frame.saved.set(name, this.channel.context().vars[name]);
    }
    this.channel.setVariable(name, value);
  }

  peekLocal(depth: number, name: string): string {
    // Frame n saved the value its caller had: the value `depth` levels up is in the frame above that level.
    if (depth <= 0) return this.getVar(name) ?? "";
    for (let i = this.stack.length - depth; i < this.stack.length; i++) {
      const f = this.stack[i];
      if (f && f.saved.has(name)) return f.saved.get(name) ?? "";
    }
    return this.getVar(name) ?? "";
  }

  substitute(text: string): string {
    if (!text.includes("$")) return text;
    // Variables are looked up live: a function earlier in the same text (SET, DB) may change them.
    const r = substitute(text, {
      builtin: (name) => this.getVar(name),
      readFunction: (name, args) => this.readFunction(name, args),
    });
    for (const w of r.warnings) this.channel.log("WARNING", "pbx.c", w);
    return r.value;
  }

  readFunction(name: string, args: string): string | undefined {
    return readChannelFunction(this, name, args);
  }

  writeFunction(name: string, args: string, value: string): boolean {
    return writeChannelFunction(this, name, args, value);
  }

  warn(source: string, message: string): void {
    this.channel.log("WARNING", source, message);
  }

  verbose(message: string): void {
    this.channel.log("VERBOSE", "pbx.c", message);
  }

  // ---- waits ------------------------------------------------------------------------

  private remainingMs(): number | undefined {
    if (this.timeouts.absoluteAt === undefined || this.inHangup) return undefined;
    return Math.max(0, (this.timeouts.absoluteAt - this.channel.now()) / 1000);
  }

  /** Runs a wait and notes whether it took time (the loop cut-off counts from there). */
  private async timed<T>(wait: () => Promise<T>): Promise<T> {
    const before = this.channel.now();
    try {
      return await wait();
    } finally {
      if (this.channel.now() - before >= 1000) this.paused = true;
    }
  }

  sleep(ms: number): Promise<void> {
    return this.timed(() => this.sleepUntimed(ms));
  }

  private async sleepUntimed(ms: number): Promise<void> {
    const left = this.remainingMs();
    if (left !== undefined && left <= ms) {
      await this.channel.sleep(left);
      throw new AbsoluteTimeout();
    }
    await this.channel.sleep(Math.max(0, ms));
  }

  readDigit(ms: number): Promise<string | undefined> {
    return this.timed(() => this.readDigitUntimed(ms));
  }

  private async readDigitUntimed(ms: number): Promise<string | undefined> {
    const left = this.remainingMs();
    if (left !== undefined && left <= ms) {
      const d = await this.channel.readDigit(left);
      if (d === undefined) throw new AbsoluteTimeout();
      return d;
    }
    return this.channel.readDigit(Math.max(0, ms));
  }

  guard<T>(run: (signal: AbortSignal | undefined) => Promise<T>): Promise<T> {
    return this.timed(() => this.guardUntimed(run));
  }

  private async guardUntimed<T>(run: (signal: AbortSignal | undefined) => Promise<T>): Promise<T> {
    const left = this.remainingMs();
    if (left === undefined) return run(undefined);
    if (left <= 0) throw new AbsoluteTimeout();
    const abort = new AbortController();
    let settled = false;
    const work = run(abort.signal);
    work.then(() => { settled = true; }, () => { settled = true; });
    // Rejects only if the deadline comes first; otherwise it never settles and the race is the work's.
    const timer = new Promise<never>((_, reject) => {
      this.channel.sleep(left).then(() => {
        if (settled) return;
        abort.abort();
        reject(new AbsoluteTimeout());
      }, () => { /* hang-up: the work itself ends with it */ });
    });
    return Promise.race([work, timer]);
  }

  async waitForHangup(seconds?: number): Promise<void> {
    if (seconds !== undefined && seconds >= 0) { await this.sleep(seconds * 1000); return; }
    // Sleeping in long steps (rather than only listening for the abort) lets a virtual clock drive it too.
    for (;;) await this.sleep(60_000);
  }

  // ---- positions and subroutines ----------------------------------------------------

  resolveGoto(target: string): Position | string {
    const parts = splitArguments(target);
    if (parts.length === 0 || parts.length > 3) return `Goto: bad destination '${target}'`;
    const p = this.position;
    const priorityText = parts[parts.length - 1].trim();
    let exten = parts.length >= 2 ? parts[parts.length - 2].trim() : p.exten;
    let context = parts.length === 3 ? parts[0].trim() : p.context;
    if (exten === "" || exten.toUpperCase() === "BYEXTENSION") exten = p.exten;
    if (context === "") context = p.context;
    let priority: number;
    if (/^[+-]\d+$/.test(priorityText)) priority = p.priority + Number(priorityText);
    else if (/^\d+$/.test(priorityText)) priority = Number(priorityText);
    else {
      const label = findLabel(this.dialplan, context, exten, priorityText, this.callerId(), { now: this.channel.now() });
      if (label === undefined) return `Priority '${priorityText}' must be a number > 0, or valid label`;
      priority = label;
    }
    if (!(priority > 0)) return `Priority '${priorityText}' must be a number > 0, or valid label`;
    return { context, exten, priority };
  }

  private parseGosubTarget(target: string): { to: Position; args: string[] } | string {
    const open = target.indexOf("(");
    let location = target, args: string[] = [];
    if (open >= 0) {
      const call = splitFunctionCall(target);
      location = call.name;
      args = splitArguments(call.args);
    }
    const to = this.resolveGoto(location);
    if (typeof to === "string") return to;
    return { to, args };
  }

  gosub(target: string, isolated = false): AppResult {
    const parsed = this.parseGosubTarget(target);
    if (typeof parsed === "string") { this.warn("app_stack.c", parsed); return { kind: "end" }; }
    const { to, args } = parsed;
    if (!this.exists(to.context, to.exten, to.priority)) {
      this.channel.log("ERROR", "app_stack.c", `Attempt to reach a non-existent destination for Gosub: (Context:${to.context}, Extension:${to.exten}, Priority:${to.priority})`);
      return { kind: "end" };
    }
    const frame: Frame = { returnTo: { ...this.position, priority: this.position.priority + 1 }, saved: new Map(), isolated };
    this.stack.push(frame);
    // The previous frame's ARGn beyond this call's count must not show through.
    const previousArgc = Number(this.getVar("ARGC") ?? 0) || 0;
    this.setLocal("ARGC", String(args.length));
    for (let i = 1; i <= Math.max(args.length, previousArgc); i++) this.setLocal(`ARG${i}`, args[i - 1] ?? "");
    return { kind: "goto", to };
  }

  gosubReturn(value: string | undefined): AppResult {
    const frame = this.stack.pop();
    if (!frame) {
      this.warn("app_stack.c", "Return without Gosub: stack is empty");
      return { kind: "end" };
    }
    for (const [name, old] of frame.saved) this.channel.setVariable(name, old ?? "");
    this.setVar("GOSUB_RETVAL", value ?? "");
    return { kind: "goto", to: frame.returnTo };
  }

  /** One application outside any extension (Originate's Application=): its data as given, as pbx_exec runs it. */
  async runApplication(appName: string, data: string): Promise<void> {
    const app = this.deps.applications?.get(appName.toLowerCase()) ?? findApplication(appName);
    if (!app) {
      this.channel.log("WARNING", "pbx.c", `No application '${appName}' to run on ${this.name}`);
      return;
    }
    this.channel.appStart(appName, data);
    try {
      await app(this, data);
    } catch (e) {
      if (isHangup(e) || e instanceof AbsoluteTimeout || this.channel.signal.aborted) return;
      this.channel.log("ERROR", "pbx.c", `${appName} failed on ${this.name}: ${(e as Error).message}`);
    } finally {
      this.channel.appEnd(appName);
    }
  }

  async runSubroutine(channel: DialplanChannel, target: string): Promise<{ result?: string; retval?: string }> {
    if (channel !== this.channel) {
      const other = new Executor(channel, this.dialplan, this.deps, { ...this.position });
      return other.runSubroutine(channel, target);
    }
    const saved = { ...this.position };
    const depth = this.stack.length;
    const r = this.gosub(target, true);
    if (r.kind !== "goto") return {};
    Object.assign(this.position, r.to);
    await this.runQuietly(depth + 1);
    // A subroutine that ended without Return leaves its frame: drop it.
    while (this.stack.length > depth) {
      const f = this.stack.pop()!;
      for (const [name, old] of f.saved) this.channel.setVariable(name, old ?? "");
    }
    Object.assign(this.position, saved);
    const result = this.getVar("GOSUB_RESULT");
    const retval = this.getVar("GOSUB_RETVAL");
    return { ...(result !== undefined ? { result } : {}), ...(retval !== undefined ? { retval } : {}) };
  }
}

function formatCallerId(name: string, num: string): string {
  if (name && num) return `"${name}" <${num}>`;
  if (name) return `"${name}"`;
  return num ? `<${num}>` : "";
}

function two(n: number): string { return String(n).padStart(2, "0"); }

function formatTime(micros: number, kind: "timestamp" | "datetime"): string {
  const d = new Date(Math.floor(micros / 1000));
  const y = d.getFullYear(), mo = two(d.getMonth() + 1), da = two(d.getDate()), h = two(d.getHours()), mi = two(d.getMinutes()), s = two(d.getSeconds());
  return kind === "timestamp" ? `${y}${mo}${da}-${h}${mi}${s}` : `${da}${mo}${y}-${h}:${mi}:${s}`;
}

/**
 * Runs `channel` through the dialplan from `start` until it ends, then runs `h` and any
 * hang-up handlers. Resolves when all is done; the channel is hung up by then (the
 * caller destroys it). Never rejects for dialplan problems: they are logged.
 */
export async function runDialplan(
  channel: DialplanChannel,
  dialplan: Dialplan,
  start: { context: string; exten: string; priority: number },
  deps: DialplanDeps,
): Promise<void> {
  await new Executor(channel, dialplan, deps, { ...start }).run();
}

/**
 * Runs a subroutine on a channel outside a normal run (pre-dial handlers on a called
 * leg, a Local channel's setup): `[[context,]exten,]priority[(args)]`, resolved from
 * `at` (default: the channel's own position). Resolves when it returns or fails.
 */
export async function runSubroutine(
  channel: DialplanChannel, dialplan: Dialplan, target: string, deps: DialplanDeps, at?: Position,
): Promise<{ result?: string; retval?: string }> {
  const ctx = channel.context();
  const ex = new Executor(channel, dialplan, deps, at ?? { context: ctx.context, exten: ctx.exten, priority: ctx.priority || 1 });
  return ex.runSubroutine(channel, target);
}

/**
 * Runs one application on `channel` (Originate with Application=): no extension, no `h`.
 * Resolves when it returns; a hang-up or a failure ends it quietly (failures are logged).
 */
export async function runApplication(channel: DialplanChannel, dialplan: Dialplan, application: string, data: string, deps: DialplanDeps): Promise<void> {
  const ctx = channel.context();
  await new Executor(channel, dialplan, deps, { context: ctx.context, exten: ctx.exten, priority: ctx.priority || 1 }).runApplication(application, data);
}

/**
 * AMI Getvar / ARI variable reads and writes of functions on a live channel, with
 * the privilege rule of seed 003: dangerous functions only under live_dangerously.
 */
export function evaluateForInterface(channel: DialplanChannel, dialplan: Dialplan, deps: DialplanDeps, text: string, origin: "ami" | "ari" | "agi" = "ami"): string {
  const ctx = channel.context();
  return new Executor(channel, dialplan, { ...deps, origin }, { context: ctx.context, exten: ctx.exten, priority: ctx.priority || 1 }).substitute(text);
}

export function setForInterface(channel: DialplanChannel, dialplan: Dialplan, deps: DialplanDeps, name: string, value: string, origin: "ami" | "ari" | "agi" = "ami"): void {
  const ctx = channel.context();
  const ex = new Executor(channel, dialplan, { ...deps, origin }, { context: ctx.context, exten: ctx.exten, priority: ctx.priority || 1 });
  if (name.includes("(")) {
    const call = splitFunctionCall(name);
    if (!ex.writeFunction(call.name, call.args, value)) ex.warn("pbx.c", `Function ${call.name} not registered`);
  } else ex.setVar(name, value);
}
