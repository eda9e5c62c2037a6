/**
 * Queue() and its companions (app_queue): AddQueueMember, RemoveQueueMember,
 * PauseQueueMember, UnpauseQueueMember, QueueLog. They act on the queue and
 * queue-member actors through `deps.queues`, and call members through the channel's
 * `dial()` like Dial does, so they know nothing of SIP.
 *
 * Queue(name[,options[,URL[,announceoverride[,timeout[,AGI[,gosub[,rule[,position]]]]]]]]), Asterisk
 * 22's arguments (its Queue() has no macro argument any more):
 * the caller joins (ENTERQUEUE) unless joinempty or maxlen refuse it, hears music on
 * hold (ringing with `r`), and waits for its turn; then the members the strategy picks
 * within the caller's penalty window (penalty.ts; the queue rule moves it while the caller
 * waits) ring in tries of `timeout` seconds with `retry` seconds between them, as
 * app_queue's try_calling and wait_a_bit (ringall: the best penalty tier with a free
 * member; the others: one member, the next only after an early failure), until one
 * answers: the member hears the announcement (`announce`, or announceoverride), runs the
 * gosub, the caller runs the AGI, then CONNECT and the bridge, ended by COMPLETECALLER,
 * COMPLETEAGENT, BLINDTRANSFER or ATTENDEDTRANSFER. Or the caller hangs up (ABANDON),
 * the Queue timeout passes (EXITWITHTIMEOUT), or leavewhenempty empties the queue
 * (EXITEMPTY). QUEUESTATUS says why the caller came back. Around the ring: autopause of
 * a member who did not answer (QueueService.autoPause), timeoutrestart, the options
 * R (ring tone while a member rings), C (cancel as answered elsewhere), F (the member
 * goes on when the caller hangs up), i (a member's call forward ignored), b/B, m; after
 * the answer: memberdelay, reportholdtime, the MEMBER/QE/QUEUE variables, updatecdr and
 * monitor-format.
 */
import type { Application, ExecutionEnv } from "../executor.js";
import { findApplication } from "./index.js";
import { applyStep, boundText, effectivePenalty, readBound, type PenaltyRule, type PenaltyWindow } from "../../actors/queue/penalty.js";
import type { BridgeTransfer, DialplanChannel } from "../../calls/channel-api.js";
import { splitArguments } from "../functions.js";
import { HangupError, type DialOutcome } from "../../calls/channel-api.js";
import { CONTINUE, END } from "./index.js";
import { parseOptions } from "./basic.js";
import { calleeGosubTarget } from "../../calls/dial-gosub.js";
import type { MemberView, QueueService, RingFailure } from "../../actors/queue/service.js";
import type { QueueConfig } from "../../actors/queue/config.js";
import { numberFiles } from "../say.js";
import { Cause, dialStatusFromCauses } from "../../calls/hangup-causes.js";
import { RINGBACK_TONE } from "../../calls/media.js";
import { calleeGoOnTarget } from "./dial.js";
import { queueVariables } from "../queue-functions.js";

/** The interface a member channel belongs to: `PJSIP/alice-0000000a` → `PJSIP/alice`, `Local/1@c-00000001;1` → `Local/1@c`. */
export function interfaceOf(channelName: string): string {
  return channelName.replace(/-[0-9a-f]+(;\d)?$/i, "");
}

function queues(env: ExecutionEnv, app: string): QueueService | undefined {
  if (!env.deps.queues) env.warn("app_queue.c", `${app}: no queues are configured in this build`);
  return env.deps.queues;
}

const seconds = (µs: number) => Math.floor(µs / 1e6);

/** Dial options Queue() passes on to the call layer (features during the call). */
const PASSED_OPTIONS = ["t", "T", "h", "H", "k", "K", "w", "W", "x", "X"];

/** An option's `[[context^]exten^]priority[(arg1[^arg2])]` as the dialplan writes it (`,` between the parts). */
const caretArgs = (text: string) => text.replace(/\^/g, ",");

const Queue: Application = async (env, data) => {
  const [name = "", optionText = "", url = "", announceoverride = "", timeoutText = "", agi = "", gosubArg = "", ruleText = "", positionText = ""] = splitArguments(data, ",");
  if (name.trim() === "") { env.warn("app_queue.c", "Queue requires an argument: queuename[,options[,URL[,announceoverride[,timeout[,agi[,gosub[,rule[,position]]]]]]]]"); return END; }
  const service = queues(env, "Queue");
  const q = service?.config(name);
  if (!service || !q) {
    env.warn("app_queue.c", `Unable to join queue '${name}': no such queue`);
    env.setVar("QUEUESTATUS", "UNKNOWN");
    return CONTINUE;
  }
  const options = parseOptions(optionText);
  const ch = env.channel, me = ch.context();
  // F: when the caller hangs up, the member goes on here (the caller's next priority without an argument).
  const calleeGoOn = "F" in options ? calleeGoOnTarget(env, "Queue", options.F) : undefined;
  // B: a subroutine on the caller before it joins (app_queue runs it once, before any member is called).
  if (options.B?.trim()) await env.runSubroutine(ch, caretArgs(options.B.trim()));
  const uniqueid = me.uniqueid;
  const started = ch.now();
  const timeout = Number(timeoutText) > 0 ? Number(timeoutText) : 0;
  let window = readWindow(env);
  // The rule: Queue()'s argument, else the queue's defaultrule; its steps move the window as the caller waits.
  const ruleName = ruleText.trim() || q.defaultrule;
  const steps: PenaltyRule[] = [...(ruleName ? service.rule(ruleName) ?? [] : [])];
  if (ruleText.trim() && !service.rule(ruleText.trim())) env.warn("app_queue.c", `Queue '${name}': no rule '${ruleText.trim()}' in queuerules.conf`);
  const stepRule = () => {
    const waited = ch.now() - started;
    while (steps.length && waited >= steps[0].time * 1e6) {
      const step = steps.shift()!;
      window = applyStep(window, step);
      if (Number.isFinite(window.max)) env.setVar("QUEUE_MAX_PENALTY", boundText(window.max));
      if (Number.isFinite(window.min)) env.setVar("QUEUE_MIN_PENALTY", boundText(window.min));
      if (Number.isFinite(window.raise)) env.setVar("QUEUE_RAISE_PENALTY", boundText(window.raise, window.raiseRespectMin));
      env.verbose(`Queue '${name}' rule '${ruleName}' after ${step.time} s: penalties ${describeWindow(window)} for ${me.name}`);
    }
  };
  /** penaltymemberslimit: a queue with that few members or fewer ignores penalties (and the window). */
  const penaltyOf = (m: MemberView, count: number) => count <= q.penaltymemberslimit ? 0 : effectivePenalty(window, m.penalty);
  const outsideWindow = (m: MemberView, count: number) => penaltyOf(m, count) === undefined;

  // Join: maxlen, then joinempty.
  const waiting = service.callers(name);
  if (q.maxlen > 0 && waiting.length >= q.maxlen) {
    env.verbose(`Queue '${name}' is full (${waiting.length} callers)`);
    service.sendQueue(name, { source: "dialplan", type: "exit", reason: "full", uniqueid, position: 0, origposition: 0, waittime: 0 });
    env.setVar("QUEUESTATUS", "FULL");
    return CONTINUE;
  }
  const refused = service.emptyStatus(name, q.joinempty, outsideWindow);
  if (refused) {
    env.verbose(`Queue '${name}' refused ${me.name}: no member can take calls (joinempty)`);
    service.sendQueue(name, { source: "dialplan", type: "exit", reason: refused === "EMPTY" ? "joinempty" : "joinunavail", uniqueid, position: 0, origposition: 0, waittime: 0 });
    env.setVar("QUEUESTATUS", refused === "EMPTY" ? "JOINEMPTY" : "JOINUNAVAIL");
    return CONTINUE;
  }
  const position = Number(positionText) > 0 ? Math.floor(Number(positionText)) : undefined;
  if (positionText.trim() !== "" && !(Number(positionText) >= 0)) {
    env.warn("app_queue.c", `Invalid position '${positionText}' given for call to queue '${name}'. Assuming no preference for position`);
  }
  service.sendQueue(name, {
    source: "dialplan", type: "join", uniqueid, channel: me.name, callerIdNum: me.callerId.num, callerIdName: me.callerId.name, url,
    ...(position !== undefined ? { position } : {}),
  });
  const origposition = service.callers(name).findIndex((c) => c.uniqueid === uniqueid) + 1;
  env.verbose(`${me.name} joined queue '${name}' at position ${origposition}`);
  const where = () => service.callers(name).findIndex((c) => c.uniqueid === uniqueid) + 1;
  const leaving = () => ({ uniqueid, position: where(), origposition, waittime: seconds(ch.now() - started) });

  const ringOnly = "r" in options;
  // CHANNEL(musicclass), then Queue()'s m(class), then the queue's musicclass.
  const musicclass = env.channelSettings.get("musicclass") || options.m?.trim() || q.musicclass || "default";
  if (ringOnly) ch.ringing();
  else if (ch.startMusicOnHold) await ch.startMusicOnHold(musicclass).catch((e: Error) => { if (e instanceof HangupError) throw e; env.warn("app_queue.c", e.message); });

  const dialOptions: Record<string, string> = {};
  for (const o of PASSED_OPTIONS) if (o in options) dialOptions[o] = options[o];
  if (!ringOnly) dialOptions.m = musicclass;
  if ("c" in options) dialOptions.g = "";
  // i: a member's call forward (SIP 3xx) is ignored; without it the forward is followed, as app_queue does.
  if ("i" in options) dialOptions.i = "";
  // b: a subroutine on each member's new channel before it is called (Dial's b).
  if (options.b?.trim()) dialOptions.b = caretArgs(options.b.trim());
  // gosub (or the queue's membergosub): a subroutine (context, from s,1) on the member's channel once it answers, before the bridge.
  const gosub = gosubArg.trim() || q.membergosub;
  const gosubTarget = gosub ? calleeGosubTarget(gosub) : "";
  // announceoverride (or the queue's announce): files the member hears once it answers, `&` between them.
  const announceFiles = (announceoverride.trim() || q.announce).split("&").map((f) => f.trim()).filter(Boolean);

  // Announcements while the caller waits: position and hold time every announce-frequency seconds (the first as soon
  // as it waits), periodic-announce files in turn.
  let lastAnnounce = -Infinity, lastPeriodic = started, periodicIndex = 0, holdtimeSaid = false;
  const announce = async () => {
    const now = ch.now();
    const files: string[] = [];
    if (q.announceFrequency > 0 && now - lastAnnounce >= q.announceFrequency * 1e6) {
      lastAnnounce = now;
      const said = positionFiles(q, where());
      files.push(...said);
      const st = service.state(name);
      const hold = st && st.connected ? Math.round(st.holdtimeTotal / st.connected) : 0;
      if (hold > 0 && (q.announceHoldtime === "yes" || (q.announceHoldtime === "once" && !holdtimeSaid))) {
        holdtimeSaid = true;
        files.push("queue-holdtime", ...(hold >= 60 ? [...numberFiles(Math.round(hold / 60)), "queue-minutes"] : [...numberFiles(hold), "queue-seconds"]));
      }
      if (files.length) files.push("queue-thankyou");
    }
    if (q.periodicAnnounceFrequency > 0 && q.periodicAnnounce.length && now - lastPeriodic >= q.periodicAnnounceFrequency * 1e6) {
      lastPeriodic = now;
      files.push(q.periodicAnnounce[periodicIndex++ % q.periodicAnnounce.length]);
    }
    if (!files.length) return;
    if (!ringOnly) ch.stopMusicOnHold?.();
    await env.guard((signal) => ch.play(files, { noAnswer: true, ...(signal ? { signal } : {}) }));
    if (ch.signal.aborted) throw new HangupError();
    if (!ringOnly && ch.startMusicOnHold) await ch.startMusicOnHold(musicclass).catch((e: Error) => { if (e instanceof HangupError) throw e; });
  };

  /**
   * Wait `ms`; with the queue's `context`, a digit the caller presses that is an extension
   * there takes it out of the queue (EXITWITHKEY) to that extension.
   */
  const waitFor = async (ms: number) => {
    if (!q.context) { await env.sleep(ms); return undefined; }
    const digit = await env.readDigit(ms);
    if (digit === undefined || !env.exists(q.context, digit, 1)) return undefined;
    service.sendQueue(name, { source: "dialplan", type: "exit", reason: "key", key: digit, ...leaving() });
    env.verbose(`${me.name} left queue '${name}' with key ${digit}`);
    return { kind: "goto" as const, to: { context: q.context, exten: digit, priority: 1 } };
  };

  // `n`: no retries. As app_queue counts tries: the round-robin strategies give up once every member has had a
  // try, the others after the first.
  const roundRobin = q.strategy === "rrmemory" || q.strategy === "rrordered" || q.strategy === "linear";
  let tries = 0;
  /** linear: this caller's next member (its index), so a retry goes on down the list (app_queue's linpos). */
  let linpos = 0;
  try {
    for (;;) {
      if (ch.signal.aborted) throw new HangupError();
      if (timeout && ch.now() - started >= timeout * 1e6) {
        service.sendQueue(name, { source: "dialplan", type: "exit", reason: "timeout", ...leaving() });
        env.setVar("QUEUESTATUS", "TIMEOUT");
        return CONTINUE;
      }
      stepRule();
      const empty = service.emptyStatus(name, q.leavewhenempty, outsideWindow);
      if (empty) {
        service.sendQueue(name, { source: "dialplan", type: "exit", reason: empty === "EMPTY" ? "empty" : "leaveunavail", ...leaving() });
        env.setVar("QUEUESTATUS", empty === "EMPTY" ? "LEAVEEMPTY" : "LEAVEUNAVAIL");
        return CONTINUE;
      }
      const members = service.members(name);
      const ready = members.filter((m) => service.ready(name, m) && penaltyOf(m, members.length) !== undefined);
      const turn = where() <= (q.autofill ? Math.max(1, ready.length) : 1);
      if (!turn || !ready.length) {
        // Not our turn, or nobody free: wait a second and look again (app_queue's wait_our_turn).
        await announce();
        const key = await waitFor(1000);
        if (key) return key;
        continue;
      }
      // One try (app_queue's try_calling): ringall rings the best penalty tier of the free members for `timeout`;
      // the other strategies ring the best member, and the next best when it fails early, until `timeout` ends the try.
      const remaining = timeout ? started + timeout * 1e6 - ch.now() : Infinity;
      // timeoutpriority: `app` (the default) cuts a try short where the Queue timeout ends; `conf` rings the whole `timeout`.
      const ringFor = q.timeout > 0 ? q.timeout * 1e6 : Infinity;
      const tryLength = q.timeoutpriority === "conf" ? ringFor : Math.min(ringFor, Math.max(remaining, 1e6));
      let deadline = ch.now() + tryLength;
      const tried = new Set<string>();
      /** The member list index of the last member rung in this try (linear's next try starts after it). */
      let last = -1;
      for (;;) {
        const now = tried.size === 0 ? members : service.members(name);
        const untried = tried.size === 0 ? ready : now.filter((m) => !tried.has(m.interface) && service.ready(name, m) && penaltyOf(m, now.length) !== undefined);
        if (!untried.length) break;
        // The strategy orders who may ring (the queue actor draws any randomness).
        service.sendQueue(name, {
          source: "dialplan", type: "select", uniqueid,
          candidates: untried.map((m) => ({ id: m.interface, penalty: penaltyOf(m, now.length)!, callsTaken: m.callsTaken, lastCall: m.lastCall, index: now.indexOf(m) })),
          ...(q.strategy === "linear" ? { linpos } : {}),
        });
        const group = service.state(name)?.selection[0] ?? [];
        if (!group.length) break;
        for (const i of group) tried.add(i);
        const ringing = group.map((i) => now.find((m) => m.interface === i)!);
        last = now.indexOf(ringing[ringing.length - 1]);
        const left = deadline - ch.now();
        const result = await ringMembers(env, service, name, ringing, now, {
          timeout: Number.isFinite(left) ? Math.max(1, Math.round(left / 1000)) / 1000 : Infinity,
          options: dialOptions, url, started, origposition, wrapuptime: q.wrapuptime, gosub: gosubTarget, announce: announceFiles, agi: agi.trim(),
          queue: q, ringWhenRinging: "R" in options && !ringOnly, musicclass, answeredElsewhere: "C" in options,
          ...(calleeGoOn ? { calleeGoOn } : {}),
        });
        if (result.answered) {
          if (ch.signal.aborted) throw new HangupError();
          // Blind-transferred by the member: the caller goes on where the transfer sent it.
          if (result.next && result.next !== "continue") {
            const to = env.resolveGoto(result.next.goto);
            if (typeof to === "string") { env.warn("app_queue.c", to); return END; }
            return { kind: "goto", to };
          }
          if ("c" in options) { env.setVar("QUEUESTATUS", "CONTINUE"); return CONTINUE; }
          return END;
        }
        // A member who answered but never got the call (AGENTDUMP) ends the try, as do ringall and the timeout.
        // So does a member's call forward ignored with `i` (app_queue rings nobody else in that try).
        if (result.dumped || result.forwardIgnored || q.strategy === "ringall") break;
        // timeoutrestart: a member who failed early (busy, congestion, refused) gives the next one a whole `timeout`.
        if (q.timeoutrestart && result.failedEarly) deadline = Math.min(ch.now() + tryLength, timeout && q.timeoutpriority === "app" ? started + timeout * 1e6 : Infinity);
        if (deadline - ch.now() <= 500_000) break;
      }
      tries++;
      if (q.strategy === "linear" && last >= 0) linpos = (last + 1) % members.length;
      if ("n" in options && tries >= (roundRobin ? members.length : 1)) {
        env.verbose("Exiting on time-out cycle");
        service.sendQueue(name, { source: "dialplan", type: "exit", reason: "timeout", ...leaving() });
        env.setVar("QUEUESTATUS", "TIMEOUT");
        return CONTINUE;
      }
      if (timeout && ch.now() - started >= timeout * 1e6) continue;
      // Nobody took the call: wait `retry` seconds (app_queue's wait_a_bit) before the next try; a key can still end it.
      await announce();
      const key = await waitFor(Math.max(q.retry, 0) * 1000 || 1000);
      if (key) return key;
    }
  } catch (e) {
    if (e instanceof HangupError && where() > 0) {
      service.sendQueue(name, { source: "dialplan", type: "abandon", ...leaving() });
    }
    throw e;
  } finally {
    if (!ringOnly) ch.stopMusicOnHold?.();
    // setqueuevar: the queue's statistics as the caller leaves, however it leaves (the `h` extension sees them too).
    if (q.setqueuevar) for (const [v, value] of Object.entries(queueVariablesOf(service, name))) env.setVar(v, value);
  }
};

/** QUEUE_MAX_PENALTY, QUEUE_MIN_PENALTY and QUEUE_RAISE_PENALTY as the caller joins (a malformed one is unbounded, with a warning). */
function readWindow(env: ExecutionEnv): PenaltyWindow {
  const bound = (variable: string) => {
    const b = readBound(env.getVar(variable));
    if (typeof b !== "string") return b;
    env.warn("app_queue.c", `\${${variable}}: ${b}, channel ${env.channel.context().name}`);
    return { value: Infinity, respectMin: false };
  };
  const max = bound("QUEUE_MAX_PENALTY"), min = bound("QUEUE_MIN_PENALTY"), raise = bound("QUEUE_RAISE_PENALTY");
  return { max: max.value, min: min.value, raise: raise.value, raiseRespectMin: raise.respectMin };
}

const describeWindow = (w: PenaltyWindow) =>
  `max ${Number.isFinite(w.max) ? w.max : "any"}, min ${Number.isFinite(w.min) ? w.min : "any"}, raise ${Number.isFinite(w.raise) ? boundText(w.raise, w.raiseRespectMin) : "none"}`;

/** What announce-position says for `position` ("you are next", "there are N calls waiting", or "more than N"). */
function positionFiles(q: QueueConfig, position: number): string[] {
  if (q.announcePosition === "no" || position < 1) return [];
  if (position === 1) return ["queue-youarenext"];
  if (q.announcePosition === "limit" && position > q.announcePositionLimit) return [];
  if (q.announcePosition === "more" && position > q.announcePositionLimit) return ["queue-thereare", "queue-morethan", ...numberFiles(q.announcePositionLimit), "queue-callswaiting"];
  return ["queue-thereare", ...numberFiles(position), "queue-callswaiting"];
}

/** What ringing a group gave: nobody took the call, or a call that ended (with where the caller goes on after a transfer). */
type RingResult =
  | { readonly answered: false; readonly dumped?: boolean; readonly failedEarly?: boolean; readonly forwardIgnored?: boolean }
  | { readonly answered: true; readonly next?: DialOutcome["next"] };

interface RingOptions {
  readonly timeout: number;
  readonly options: Record<string, string>;
  readonly url: string;
  readonly started: number;
  readonly origposition: number;
  readonly wrapuptime: number;
  /** gosub target on the member's channel, announcement files for the member, AGI on the caller. */
  readonly gosub: string;
  readonly announce: readonly string[];
  readonly agi: string;
  readonly queue: QueueConfig;
  /** R: the caller hears ringing instead of music while a member rings, and music again after. */
  readonly ringWhenRinging: boolean;
  readonly musicclass: string;
  /** C: members cancelled for any reason end as answered elsewhere. */
  readonly answeredElsewhere: boolean;
  /** F: where the member goes on when the caller hangs up. */
  readonly calleeGoOn?: { readonly context: string; readonly exten: string; readonly priority: number };
}

/** Ring one group of members once. */
async function ringMembers(
  env: ExecutionEnv, service: QueueService, queue: string, group: readonly MemberView[], members: readonly MemberView[], o: RingOptions,
): Promise<RingResult> {
  const ch = env.channel, me = ch.context();
  const ringStart = ch.now();
  let answered: { member: MemberView; uniqueid: string; at: number } | undefined;
  let transferred = false;
  /** µs of CONNECT (0: not connected): talk time runs from here. */
  let connected = 0;
  service.setRinging(queue, group.map((m) => m.interface), true, me.uniqueid);
  let outcome: DialOutcome;
  /** R: ringing replaced the music; the music comes back if nobody answers (app_queue's rna). */
  let ringingHeard = false;
  try {
    outcome = await env.guard((signal) => ch.dial({
      targets: group.map((m) => ({ dialstring: m.interface })),
      ...(Number.isFinite(o.timeout) ? { timeout: o.timeout } : {}),
      options: o.options,
      ...(signal ? { signal } : {}),
      ...(o.answeredElsewhere ? { cancelAsAnsweredElsewhere: true } : {}),
      ...(o.calleeGoOn ? { calleeGoOn: o.calleeGoOn } : {}),
      ...(o.ringWhenRinging ? {
        onRinging: () => {
          if (ringingHeard || answered) return;
          ringingHeard = true;
          ch.stopMusicOnHold?.();
          // As chan_pjsip: once media flows (the music's 183 with SDP, or an answered caller) a 180 is not sent;
          // the ringing is heard in band instead.
          const inBand = ch.state() !== "ring";
          ch.ringing();
          if (inBand) ch.tones(RINGBACK_TONE);
        },
      } : {}),
      runSubroutine: (c, t) => env.runSubroutine(c, t),
      onAnswer: (peer) => {
        // A member who forwarded the call (3xx, followed without `i`) is still the member who took it.
        const iface = interfaceOf(peer.via ?? peer.name);
        const member = group.find((m) => m.interface === iface) ?? group[0];
        const at = ch.now();
        answered = { member, uniqueid: peer.uniqueid, at };
        if (ringingHeard) ch.stopTones();
        service.setRinging(queue, group.map((m) => m.interface), false, me.uniqueid);
        for (const m of group) {
          if (m !== member) service.sendQueue(queue, { source: "dialplan", type: "ringcanceled", uniqueid: me.uniqueid, interface: m.interface, agent: m.name, ms: Math.floor((at - ringStart) / 1000) });
        }
        service.sendMember(queue, member.interface, { source: "dialplan", type: "connect", uniqueid: me.uniqueid });
        env.setVar("MEMBERINTERFACE", member.interface);
        env.setVar("MEMBERNAME", member.name);
      },
      // As app_queue's try_calling after the answer: the member's announcement (a member who hangs up during it is
      // AGENTDUMP, and the caller waits on); then CONNECT (the caller leaves the waiting list), the URL, the gosub on the
      // member (its result is not looked at), the AGI on the caller, and the bridge.
      beforeBridge: async (peer: DialplanChannel) => {
        const a = answered!;
        const hungUp = (e: unknown) => { if (!(e instanceof HangupError)) throw e; };
        // memberdelay: silence for the member before anything else (app_queue's ast_safe_sleep on the member).
        if (o.queue.memberdelay > 0) {
          env.channel.log("NOTICE", "app_queue.c", `Delaying member connect for ${o.queue.memberdelay} seconds`);
          await peer.sleep(o.queue.memberdelay * 1000).catch(hungUp);
        }
        const memberHears = async (files: readonly string[]) => {
          if (!files.length || peer.signal.aborted) return;
          await peer.play(files, { noAnswer: true })
            .then((r) => env.verbose(`Queue '${queue}': ${peer.context().name} heard ${files.join("&")} (${r.status})`), hungUp);
        };
        await memberHears(o.announce);
        // reportholdtime: the member hears how long the caller held ("queue-reporthold", minutes, then seconds over 1).
        if (o.queue.reportholdtime) await memberHears(holdtimeReport(ch.now() - o.started));
        if (ch.signal.aborted) return;
        if (peer.signal.aborted) {
          env.warn("app_queue.c", `Agent on ${peer.context().name} hungup on the customer.`);
          service.sendQueue(queue, { source: "dialplan", type: "agentdump", uniqueid: me.uniqueid, interface: a.member.interface, agent: a.member.name });
          return;
        }
        connected = ch.now();
        service.sendQueue(queue, {
          source: "dialplan", type: "connect", uniqueid: me.uniqueid, interface: a.member.interface, agent: a.member.name, peerUniqueid: a.uniqueid,
          holdtime: seconds(connected - o.started), ringtime: seconds(a.at - ringStart), index: members.indexOf(a.member), count: members.length,
        });
        setConnectVariables(env, service, queue, o, a.member.interface, peer);
        // updatecdr: the caller's CDR names the member (its name, as chan_agents did) as dstchannel.
        if (service.general.updatecdr) ch.setCdrField("dstchannel", a.member.name);
        if (o.queue.monitorFormat) await startRecording(env, o.queue.monitorFormat);
        if (o.url) env.verbose(`Queue '${queue}': URL '${o.url}' not sent to ${peer.context().name} (its channel takes no URL)`);
        if (o.gosub && !peer.signal.aborted) await env.runSubroutine(peer, o.gosub).catch(hungUp);
        if (o.agi && !peer.signal.aborted && !ch.signal.aborted) await Promise.resolve(findApplication("AGI")!(env, o.agi)).catch(hungUp);
      },
      onTransfer: (t: BridgeTransfer) => {
        if (!answered || !connected || transferred) return;
        transferred = true;
        const m = answered.member;
        service.sendQueue(queue, {
          source: "dialplan", type: "transfer", uniqueid: me.uniqueid, interface: m.interface, agent: m.name,
          ...(t.kind === "blind" ? { kind: "blind", exten: t.exten, context: t.context } : { kind: "attended", bridge: t.bridge }),
          holdtime: seconds(connected - o.started), talktime: seconds(ch.now() - connected), position: o.origposition,
        });
        service.sendMember(queue, m.interface, { source: "dialplan", type: "complete", wrapuptime: m.wrapuptime ?? o.wrapuptime });
      },
    }));
  } catch (e) {
    service.setRinging(queue, group.map((m) => m.interface), false, me.uniqueid);
    if (answered && connected && !transferred) completeCall(env, service, queue, answered.member, connected, o, "caller");
    else if (answered && !connected) service.sendMember(queue, answered.member.interface, { source: "dialplan", type: "complete", wrapuptime: 0 });
    else if (!answered && e instanceof HangupError) {
      const ms = Math.floor((ch.now() - ringStart) / 1000);
      for (const m of group) service.sendQueue(queue, { source: "dialplan", type: "ringcanceled", uniqueid: me.uniqueid, interface: m.interface, agent: m.name, ms });
    }
    throw e;
  }
  service.setRinging(queue, group.map((m) => m.interface), false, me.uniqueid);
  if (answered && connected) {
    // Connected (even if a side hung up during the gosub or AGI, before the bridge): the call is complete.
    const src = ch.context().hangupSource ?? "";
    if (!transferred) completeCall(env, service, queue, answered.member, connected, o, ch.signal.aborted && (src === me.name || src === "") ? "caller" : "agent");
    return { answered: true, ...(outcome.next ? { next: outcome.next } : {}) };
  }
  if (answered) {
    // Answered but the call did not go ahead (either side hung up before the bridge): the member is free again.
    if (!transferred) service.sendMember(queue, answered.member.interface, { source: "dialplan", type: "complete", wrapuptime: 0 });
    if (ch.signal.aborted) throw new HangupError();
    return { answered: false, dumped: true };
  }
  const ms = Math.floor((ch.now() - ringStart) / 1000);
  if (ch.signal.aborted || outcome.status === "CANCEL") {
    // The caller hung up while the members rang.
    for (const m of group) service.sendQueue(queue, { source: "dialplan", type: "ringcanceled", uniqueid: me.uniqueid, interface: m.interface, agent: m.name, ms });
    throw new HangupError();
  }
  if (ringingHeard) {
    ch.stopTones();
    await Promise.resolve(ch.startMusicOnHold?.(o.musicclass)).catch((e: Error) => { if (e instanceof HangupError) throw e; });
  }
  const ended = outcome.legs ?? [];
  // A member whose call forward `i` ignored was hung up as app_queue does it: no RINGNOANSWER, no autopause.
  const forwardIgnored = new Set(ended.filter((l) => l.forwardIgnored).map((l) => interfaceOf(l.channel)));
  for (const m of group) {
    if (forwardIgnored.has(m.interface)) { env.verbose(`${m.interface} asked to forward the call; ignored (i)`); continue; }
    service.sendQueue(queue, { source: "dialplan", type: "ringnoanswer", uniqueid: me.uniqueid, interface: m.interface, agent: m.name, ms, index: members.indexOf(m), count: members.length });
    env.verbose(`Nobody picked up in ${ms} ms (${m.interface})`);
    const leg = ended.find((l) => interfaceOf(l.channel) === m.interface);
    const paused = service.autoPause(queue, m.interface, leg ? failureOf(leg.cause) : "noanswer", ch.now());
    if (paused) {
      env.verbose(paused === "all"
        ? `Auto-Pausing Queue Member ${m.interface} in all queues since they failed to answer on queue ${queue}.`
        : `Auto-Pausing Queue Member ${m.interface} in queue ${queue} since they failed to answer.`);
    }
  }
  // The legs all ended before the ring's timeout: the ring failed early.
  const failedEarly = !Number.isFinite(o.timeout) || ch.now() - ringStart < o.timeout * 1e6 - 100_000;
  return { answered: false, failedEarly, ...(forwardIgnored.size ? { forwardIgnored: true } : {}) };
}

/**
 * setinterfacevar, setqueueentryvar and setqueuevar: what app_queue sets on the caller and
 * the member once the member is connected (MEMBER*: the member before this call; QE*: this
 * caller's hold time and original position; QUEUE*: the queue's statistics).
 */
function setConnectVariables(env: ExecutionEnv, service: QueueService, queue: string, o: RingOptions, iface: string, peer: DialplanChannel): void {
  const q = o.queue, m = service.member(queue, iface);
  const vars: Record<string, string> = {};
  if (q.setinterfacevar && m) {
    Object.assign(vars, {
      MEMBERINTERFACE: m.interface, MEMBERNAME: m.name, MEMBERCALLS: String(m.callsTaken), MEMBERLASTCALL: String(seconds(m.lastCall)),
      MEMBERPENALTY: String(m.penalty), MEMBERDYNAMIC: m.dynamic ? "1" : "0", MEMBERREALTIME: "0",
    });
  }
  if (q.setqueueentryvar) Object.assign(vars, { QEHOLDTIME: String(seconds(env.channel.now() - o.started)), QEORIGINALPOS: String(o.origposition) });
  if (q.setqueuevar) Object.assign(vars, queueVariablesOf(service, queue));
  for (const [name, value] of Object.entries(vars)) { env.setVar(name, value); peer.setVariable(name, value); }
}

/** setqueuevar's variables: QUEUENAME and the queue's statistics. */
const queueVariablesOf = (service: QueueService, queue: string) => ({ QUEUENAME: queue, ...queueVariables(service, queue) });

/** reportholdtime's files for a hold of `µs`, as app_queue says it: minutes if any, seconds if more than one. */
function holdtimeReport(µs: number): string[] {
  const total = seconds(µs), minutes = Math.floor(total / 60), secs = total % 60;
  return [
    "queue-reporthold",
    ...(minutes > 0 ? [...numberFiles(minutes), "queue-minutes"] : []),
    ...(secs > 1 ? [...numberFiles(secs), "queue-seconds"] : []),
  ];
}

/** How a member's ring failed, for autopause: busy (autopausebusy), unavailable (autopauseunavail), or anything else. */
function failureOf(cause: number): RingFailure {
  if (cause === Cause.USER_BUSY) return "busy";
  const status = dialStatusFromCauses([cause]);
  return status === "CONGESTION" || status === "CHANUNAVAIL" ? "unavailable" : "other";
}

/**
 * monitor-format: MixMonitor of the bridged call on the caller's channel, as app_queue's
 * setup_mixmonitor: `${MONITOR_FILENAME}` (else the caller's uniqueid) with the format as
 * extension, option b plus `${MONITOR_OPTIONS}`, `${MONITOR_EXEC}` run afterwards.
 */
async function startRecording(env: ExecutionEnv, format: string): Promise<void> {
  const file = env.getVar("MONITOR_FILENAME") || env.channel.context().uniqueid;
  const exec = env.getVar("MONITOR_EXEC");
  const args = `${file}.${format},b${env.getVar("MONITOR_OPTIONS") ?? ""}${exec ? `,${exec}` : ""}`;
  await Promise.resolve(findApplication("MixMonitor")!(env, args)).catch((e: Error) => { if (!(e instanceof HangupError)) throw e; });
}

function completeCall(
  env: ExecutionEnv, service: QueueService, queue: string, m: MemberView, connected: number, o: { started: number; origposition: number; wrapuptime: number },
  by: "caller" | "agent",
): void {
  service.sendQueue(queue, {
    source: "dialplan", type: "complete", uniqueid: env.channel.context().uniqueid, interface: m.interface, agent: m.name, by,
    holdtime: seconds(connected - o.started), talktime: seconds(env.channel.now() - connected), position: o.origposition,
  });
  service.sendMember(queue, m.interface, { source: "dialplan", type: "complete", wrapuptime: m.wrapuptime ?? o.wrapuptime });
}

/** The channel's own interface, for the member applications' default. */
function ownInterface(env: ExecutionEnv): string {
  return interfaceOf(env.channel.context().name);
}

const AddQueueMember: Application = (env, data) => {
  const [queue = "", iface = "", penaltyText = "", , memberName = "", stateInterface = "", wrapText = ""] = splitArguments(data, ",");
  if (!queue) { env.warn("app_queue.c", "AddQueueMember requires an argument (queuename[,interface[,penalty[,options[,membername[,stateinterface[,wrapuptime]]]]]])"); return CONTINUE; }
  const service = queues(env, "AddQueueMember");
  const target = iface || ownInterface(env);
  const penalty = penaltyText === "" ? 0 : Number(penaltyText);
  if (!Number.isInteger(penalty) || penalty < 0) { env.warn("app_queue.c", `Penalty '${penaltyText}' is invalid, must be an integer >= 0`); }
  void wrapText;
  const result = service ? service.addMember(queue, target, {
    penalty: Number.isInteger(penalty) && penalty >= 0 ? penalty : 0, name: memberName, stateInterface, callid: env.channel.context().uniqueid, source: "dialplan",
  }) : "NOSUCHQUEUE";
  if (result === "ADDED") env.verbose(`Added interface '${target}' to queue '${queue}'`);
  else if (result === "MEMBERALREADY") env.warn("app_queue.c", `Unable to add interface '${target}' to queue '${queue}': Already there`);
  else env.warn("app_queue.c", `Unable to add interface to queue '${queue}': No such queue`);
  env.setVar("AQMSTATUS", result);
  return CONTINUE;
};

const RemoveQueueMember: Application = (env, data) => {
  const [queue = "", iface = ""] = splitArguments(data, ",");
  if (!queue) { env.warn("app_queue.c", "RemoveQueueMember requires an argument (queuename[,interface])"); return CONTINUE; }
  const service = queues(env, "RemoveQueueMember");
  const target = iface || ownInterface(env);
  const result = service ? service.removeMember(queue, target, "dialplan", env.channel.context().uniqueid) : "NOSUCHQUEUE";
  if (result === "REMOVED") env.verbose(`Removed interface '${target}' from queue '${queue}'`);
  else if (result === "NOTINQUEUE") env.warn("app_queue.c", `Unable to remove interface '${target}' from queue '${queue}': Not there`);
  else if (result === "NOTDYNAMIC") env.warn("app_queue.c", `Unable to remove interface '${target}' from queue '${queue}': 'Static' member, not removed`);
  else env.warn("app_queue.c", `Unable to remove interface from queue '${queue}': No such queue`);
  env.setVar("RQMSTATUS", result);
  return CONTINUE;
};

const pauseApp = (paused: boolean): Application => (env, data) => {
  const app = paused ? "PauseQueueMember" : "UnpauseQueueMember";
  const [queue = "", iface = "", , reason = ""] = splitArguments(data, ",");
  const variable = paused ? "PQMSTATUS" : "UPQMSTATUS";
  if (!iface) { env.warn("app_queue.c", `${app} requires an argument ([queuename],interface[,options][,reason])`); env.setVar(variable, "NOTFOUND"); return CONTINUE; }
  const service = queues(env, app);
  const found = service?.setPaused(queue || undefined, iface, paused, reason, "dialplan") ?? false;
  if (!found) env.warn("app_queue.c", `Attempt to ${paused ? "pause" : "unpause"} interface ${iface}, not found${queue ? ` in queue '${queue}'` : ""}`);
  env.setVar(variable, found ? (paused ? "PAUSED" : "UNPAUSED") : "NOTFOUND");
  return CONTINUE;
};

/** QueueLog(queuename,uniqueid,agent,event[,additionalinfo]): a line of one's own in queue_log (`|` separates the data). */
const QueueLog: Application = (env, data) => {
  const [queue = "", uniqueid = "", agent = "", event = "", info = ""] = splitArguments(data, ",");
  if (!queue || !uniqueid || !agent || !event) { env.warn("app_queue.c", "QueueLog requires arguments (queuename,uniqueid,agent,event[,additionalinfo])"); return CONTINUE; }
  const service = queues(env, "QueueLog");
  if (!service?.config(queue)) { env.warn("app_queue.c", `QueueLog: no queue '${queue}'`); return CONTINUE; }
  service.sendQueue(queue, { source: "dialplan", type: "log", uniqueid, agent, event, data: info === "" ? [] : info.split("|") });
  return CONTINUE;
};

export const queueApplications: Readonly<Record<string, Application>> = {
  Queue, AddQueueMember, RemoveQueueMember, PauseQueueMember: pauseApp(true), UnpauseQueueMember: pauseApp(false), QueueLog,
};
