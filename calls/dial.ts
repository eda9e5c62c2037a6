/**
 * Dial (Asterisk's app_dial and dial.c): ring every leg its dial strings stand for at
 * once, through their drivers or as Local channels; the first to answer wins, the
 * others are cancelled (ANSWERED_ELSEWHERE); the caller is answered and bridged to the
 * winner until it leaves its bridges. Without a winner, DIALSTATUS comes from the legs'
 * causes (BUSY over CONGESTION over CHANUNAVAIL over NOANSWER), the caller hanging up
 * is CANCEL, the timeout (or TIMEOUT(absolute)) NOANSWER. Options handled here: r, m,
 * b(), U(), g and L() (with core.ts bridgeAnswered), t/T/h/H... (transfer.ts). A ringing
 * leg may be picked up from another phone (pickup.ts): the picker is then the winner.
 */
import { HangupError, type DialOutcome, type DialRequest } from "./channel-api.js";
import type { Channel } from "./channel.js";
import type { CallCore } from "./core.js";
import { calleeGosubAction } from "./dial-gosub.js";
import type { LegProgress, OutboundTarget, PlacedCall } from "./driver.js";
import { Cause, dialStatusFromCauses } from "./hangup-causes.js";
import { inheritedVariables } from "./variables.js";
import { parseLocal, type LocalTarget } from "./local.js";

/** The longest chain of Local channels a call forward may extend (Asterisk's default max_forwards). */
const MAX_FORWARD_HOPS = 20;

/** One resolved Dial target: a driver's leg, or a Local channel. */
type Target = { readonly driver: string; readonly target: OutboundTarget } | { readonly local: LocalTarget; readonly dialstring: string };

/** Resolve one `TECH/...` dial string into the legs it stands for. */
function resolve(core: CallCore, dialstring: string): { targets: Target[]; problem?: string } {
  const local = parseLocal(dialstring);
  if (local) return { targets: [{ local, dialstring }] };
  const m = /^([A-Za-z0-9_]+)\/(.+)$/.exec(dialstring.trim());
  const driver = m ? core.driver(m[1]) : undefined;
  if (!m || !driver) return { targets: [], problem: `Unsupported channel technology in '${dialstring}'` };
  const r = driver.resolve(dialstring, m[2]);
  return { targets: r.targets.map((target) => ({ driver: driver.tech, target })), ...(r.problem ? { problem: r.problem } : {}) };
}

export function dial(core: CallCore, caller: Channel, request: DialRequest): Promise<DialOutcome> {
  const { clock, logger, media } = core;
  const started = clock.now();
  const targets: Target[] = [];
  for (const t of request.targets) {
    const r = resolve(core, t.dialstring);
    if (r.problem) logger.log("WARNING", "app_dial.c", r.problem);
    targets.push(...r.targets);
  }
  if (!targets.length) {
    caller.change({ type: "dial.end", status: "CHANUNAVAIL" });
    return Promise.resolve({ status: "CHANUNAVAIL", dialedSeconds: 0 });
  }
  return new Promise<DialOutcome>((resolveOutcome) => {
    /** `via`: the channel whose forward (3xx) this leg follows. */
    const legs: { channel: Channel; placed?: PlacedCall; cause?: number; techCause?: string; via?: string; forwardIgnored?: boolean }[] = [];
    let settled = false, winner: Channel | undefined;
    let answeredAt = 0;
    const seconds = (from: number) => Math.floor((clock.now() - from) / 1e6);
    const withdrawAll = () => { for (const l of legs) core.pickups.withdraw(l.channel); };
    const finish = (outcome: DialOutcome) => {
      if (settled) return;
      settled = true;
      withdrawAll();
      timeout?.cancel();
      caller.onHangup.delete(callerGone);
      caller.signal.removeEventListener("abort", redirected);
      if (!outcome.peerName) caller.change({ type: "dial.end", status: outcome.status });
      const ended = legs.filter((l) => l.cause !== undefined).map((l) => ({
        channel: l.channel.name, cause: l.cause!, ...(l.techCause ? { tech: l.techCause } : {}), ...(l.forwardIgnored ? { forwardIgnored: true } : {}),
      }));
      resolveOutcome({ ...outcome, dialedSeconds: seconds(started), ...(ended.length ? { legs: ended } : {}) });
    };
    const failStatus = () => dialStatusFromCauses(legs.map((l) => l.cause ?? Cause.NO_ANSWER));
    const cancelOthers = (cause: number, except?: Channel) => {
      for (const l of legs) {
        if (l.channel === except || l.channel.hungUp) continue;
        l.placed?.cancel(cause);
        l.channel.remoteHangup(cause, l.channel.name);
        l.channel.destroy();
      }
    };
    /**
     * Why a leg nobody answered is cancelled: `usual`, or answered elsewhere when the request
     * says so (Queue()'s C) or the caller itself ended so (a Local channel that lost a ring
     * group: app_dial and app_queue inherit it).
     */
    const cancelCause = (usual: number) =>
      (request.cancelAsAnsweredElsewhere || caller.context().hangupCause === Cause.ANSWERED_ELSEWHERE ? Cause.ANSWERED_ELSEWHERE : usual);
    const callerGone = () => {
      if (winner) return;
      cancelOthers(cancelCause(Cause.NORMAL_CLEARING));
      finish({ status: "CANCEL" });
    };
    caller.onHangup.add(callerGone);
    // A redirect (AMI Redirect's async goto) of the caller while the legs ring: they are cancelled as at a hang-up.
    const redirected = () => { if (!caller.hungUp) callerGone(); };
    caller.signal.addEventListener("abort", redirected, { once: true });
    // TIMEOUT(absolute) ran out while the legs ring: cancel them as at the dial timeout.
    request.signal?.addEventListener("abort", () => {
      if (winner || settled) return;
      cancelOthers(cancelCause(Cause.NO_ANSWER));
      finish({ status: "NOANSWER" });
    }, { once: true });
    if ("r" in request.options) caller.ringing(); // r: ring the caller now, whatever the callee does
    const limit = request.timeout;
    const timeout = limit !== undefined && limit > 0
      ? clock.schedule(clock.now() + limit * 1e6, () => {
        if (winner || settled) return;
        logger.log("VERBOSE", "app_dial.c", `Nobody picked up in ${Math.round(limit * 1000)} ms`);
        cancelOthers(cancelCause(Cause.NO_ANSWER));
        finish({ status: "NOANSWER" });
      })
      : undefined;
    const legFailed = () => {
      if (winner || settled) return;
      if (legs.every((l) => l.channel.hungUp)) finish({ status: failStatus(), ...(legs[0]?.cause ? { cause: legs[0].cause } : {}) });
    };

    // m: the caller hears music on hold (started by Dial) until answer, not the callee's ringing or early media.
    const moh = "m" in request.options;
    const progress = {
      ringing: (callee: Channel) => {
        if (winner) return;
        if (callee.tech !== "Local") {
          callee.ringing();
          // Another phone may answer it instead (pickup.ts): the picker then wins as if it were this leg.
          const at = caller.context();
          core.pickups.offer(callee, { exten: at.exten, context: at.context, take: (picker) => {
            if (winner || settled || caller.hungUp) return false;
            progress.answered(picker);
            return true;
          } });
        }
        if (!moh) caller.ringing();
        request.onRinging?.();
      },
      progress: (callee: Channel, sdp: Buffer | undefined) => {
        if (winner) return;
        callee.change({ type: "progress" }, "sip");
        if (!sdp || moh) return;
        if (!callee.media) { caller.answerSdpOverride = sdp; caller.progress(); return; }
        // Anchored: the callee's early media reaches the caller through the two sessions.
        void caller.anchorMedia().then((id) => media.bridge(id, callee.media!)).then(() => caller.progress()).catch(() => undefined);
      },
      answered: (callee: Channel) => {
        if (winner || settled || caller.hungUp) { callee.hangup(Cause.NORMAL_CLEARING, caller.name); callee.destroy(); return; }
        winner = callee;
        withdrawAll();
        const via = legs.find((l) => l.channel === callee)?.via;
        request.onAnswer?.({ name: callee.name, uniqueid: callee.context().uniqueid, ...(via ? { via } : {}) });
        if (moh) caller.stopMusicOnHold();
        answeredAt = clock.now();
        timeout?.cancel();
        cancelOthers(Cause.ANSWERED_ELSEWHERE, callee);
        void (async () => {
          // U(sub): a subroutine on the called party before the bridge; it may refuse the call.
          if (request.options.U && request.runSubroutine) {
            const r = await request.runSubroutine(callee, request.options.U);
            // ABORT ends both legs, BUSY and CONGESTION fail the called leg so; CONTINUE and
            // GOTO hang up the called leg and the caller goes on (next priority, or there).
            const result = calleeGosubAction(r.result);
            if (result) {
              callee.hangup(Cause.NORMAL_CLEARING, callee.name);
              callee.destroy();
              if (result.action === "abort") caller.hangup(Cause.NORMAL_CLEARING, callee.name);
              if (result.action === "continue" || result.action === "goto") {
                caller.change({ type: "dial.end", status: "ANSWER" });
                finish({ status: "ANSWER", peerName: callee.name, answeredSeconds: 0, next: result.action === "goto" ? { goto: result.target } : "continue" });
              } else {
                finish({ status: result.action === "busy" ? "BUSY" : result.action === "congestion" ? "CONGESTION" : "CANCEL" });
              }
              return;
            }
          }
          if (request.beforeBridge && !caller.hungUp && !callee.hungUp) {
            await request.beforeBridge(callee).catch((e: Error) => { if (!(e instanceof HangupError)) logger.log("WARNING", "app_dial.c", `Before bridging ${callee.name}: ${e.message}`); });
          }
          if (caller.hungUp || callee.hungUp) { if (!callee.hungUp) callee.hangup(Cause.NORMAL_CLEARING, caller.name); callee.destroy(); finish({ status: "CANCEL" }); return; }
          caller.change({ type: "dial.end", status: "ANSWER" });
          const peer = await core.bridgeAnswered(caller, callee, request);
          finish({ status: "ANSWER", peerName: peer.name, answeredSeconds: seconds(answeredAt), ...core.transfers.continuation(caller) });
        })();
      },
    };
    /** What a called leg's driver (or its Local pair) reports. */
    const legProgress = (callee: Channel, leg: (typeof legs)[number]): LegProgress => ({
      ringing: () => progress.ringing(callee),
      progress: (sdp) => progress.progress(callee, sdp),
      answered: () => progress.answered(callee),
      failed: (cause, techCause) => { leg.cause = cause; if (techCause) leg.techCause = techCause; core.pickups.withdraw(callee); callee.destroy(); legFailed(); },
      forwarded: (to) => forward(callee, to),
    });
    /**
     * A called party's forward (a SIP 3xx): a new leg to where it points, as app_dial and
     * app_queue follow call forwards (an extension is dialled as Local/exten@context, the
     * context FORWARD_CONTEXT or the forwarding leg's), unless `i` ignores forwards. It is
     * placed before the forwarding leg fails, so the Dial goes on.
     */
    const forward = (from: Channel, to: string) => {
      if (winner || settled || caller.hungUp) return;
      if ("i" in request.options) {
        const leg = legs.find((l) => l.channel === from);
        if (leg) leg.forwardIgnored = true;
        logger.log("VERBOSE", "app_dial.c", `Forwarding ${caller.name} to '${to}' prevented.`);
        return;
      }
      // Phones forwarding to each other would ring for ever: as Asterisk's max_forwards (20), a chain that long stops.
      if (core.locals.depth(caller, MAX_FORWARD_HOPS) >= MAX_FORWARD_HOPS) {
        logger.log("WARNING", "app_dial.c", `Forwarding ${caller.name} to '${to}' refused: the call has gone through ${MAX_FORWARD_HOPS} Local channels (a forwarding loop?)`);
        return;
      }
      const at = from.context();
      const dialstring = to.includes("/") ? to : `Local/${to}@${at.vars.FORWARD_CONTEXT || at.context}`;
      const r = resolve(core, dialstring);
      if (r.problem || !r.targets.length) { logger.log("NOTICE", "app_dial.c", `Forwarding failed to create channel to dial '${dialstring}'${r.problem ? `: ${r.problem}` : ""}`); return; }
      logger.log("VERBOSE", "app_dial.c", `Now forwarding ${caller.name} to '${dialstring}' (thanks to ${from.name})`);
      for (const t of r.targets) place(t, from.name);
    };
    const place = (target: Target, via?: string) => {
      const ctx = caller.context();
      const fields = { callerId: ctx.callerId, exten: ctx.exten, linkedid: ctx.linkedid, parent: caller, vars: inheritedVariables(ctx.vars) };
      if ("local" in target) {
        const pair = core.locals.pair(target.local, { ...fields, context: target.local.context });
        const leg: (typeof legs)[number] = { channel: pair.half1, ...(via ? { via } : {}) };
        legs.push(leg);
        caller.change({ type: "dial.begin", peer: pair.half1.id, dialstring: target.dialstring });
        core.locals.call(pair, target.local, caller, legProgress(pair.half1, leg));
        return;
      }
      const { target: outbound } = target;
      const driver = core.driver(target.driver)!;
      const callee = core.createChannel(outbound.channel, "out", { ...fields, context: outbound.context });
      const leg: (typeof legs)[number] = { channel: callee, ...(via ? { via } : {}) };
      legs.push(leg);
      caller.change({ type: "dial.begin", peer: callee.id, dialstring: outbound.dialstring });
      logger.log("VERBOSE", "app_dial.c", `Called ${outbound.dialstring}`);
      void (async () => {
        try {
          // b(sub): a subroutine on each called channel before its call goes out.
          if (request.options.b && request.runSubroutine) await request.runSubroutine(callee, request.options.b);
          leg.placed = await driver.call({ caller, origin: core.locals.origin(caller), callee, target: outbound, options: request.options }, legProgress(callee, leg));
        } catch (e) {
          logger.log("WARNING", "app_dial.c", `Unable to call ${outbound.dialstring}: ${(e as Error).message}`);
          leg.cause = Cause.DESTINATION_OUT_OF_ORDER;
          callee.remoteHangup(Cause.DESTINATION_OUT_OF_ORDER, callee.name);
          callee.destroy();
          legFailed();
        }
      })();
    };
    for (const target of targets) place(target);
    legFailed();
  });
}
