/**
 * Originate (Asterisk's ast_pbx_outgoing_exten and ast_pbx_outgoing_app): call out to
 * one channel with nobody dialling it, and once it answers run the dialplan on it at
 * context/exten/priority, or one application with its data. What AMI Originate, call
 * files and ARI's POST /channels are built on.
 *
 * API (`CallCore.originate`, or `originate(core, request)`):
 *
 *     const r = await core.originate({
 *       channel: "PJSIP/6001",          // or "Local/100@from-internal", "PJSIP/555@trunk"
 *       context: "from-internal", exten: "100", priority: 1,   // ...or
 *       application: "Playback", data: "hello-world",
 *       timeoutMs: 30000,               // ringing at most this long (AMI's default)
 *       callerId: { num: "100", name: "Wake-up" },
 *       variables: { FOO: "1", __BAR: "2" },   // set on the new channel, prefixes kept
 *       account: "acct-1",              // its CDR accountcode
 *     });
 *
 * It resolves once the call is settled, never rejects, with AMI's OriginateResponse
 * Reason (`r.reason`, see OriginateReason) and the Q.850 cause (`r.cause`): 4 answered
 * (`r.channel`, `r.uniqueid`; `r.done` settles when its dialplan, `h` included, or its
 * application is over and the channel is gone), 5 busy, 8 congestion, 3 no answer
 * (the timeout, or the far end's no-answer causes), 1 no such extension (checked before
 * calling, as far as the dialplan can tell), 0 any other failure (an unknown technology
 * or endpoint, no reachable contact, a rejected call; `r.problem` says which, when
 * Recall knows before calling). An endpoint with several contacts is called at its
 * first reachable one (one channel, as Asterisk's Originate makes).
 *
 * A Local channel is originated as a pair: `;2` runs the dialplan at its exten@context,
 * `;1` is the originated channel. Media between the halves of a Local pair that nobody
 * dialled is not carried yet (SDP passes through the pair from its caller, and there
 * is none): its signalling and dialplan work, its audio does not.
 */
import type { Timer } from "../core/clock.js";
import type { Channel } from "./channel.js";
import type { CallCore, NewChannel } from "./core.js";
import type { LegProgress, OutboundTarget, PlacedCall } from "./driver.js";
import { Cause } from "./hangup-causes.js";
import { parseLocal, type LocalPair, type LocalTarget } from "./local.js";

/** AMI OriginateResponse's Reason (Asterisk's outgoing states). */
export const OriginateReason = {
  FAILURE: 0,
  NO_SUCH_EXTENSION: 1,
  NO_ANSWER: 3,
  ANSWERED: 4,
  BUSY: 5,
  CONGESTION: 8,
} as const;
export type OriginateReason = (typeof OriginateReason)[keyof typeof OriginateReason];

export interface OriginateRequest {
  /** The dial string of the channel to create: `TECH/resource` or `Local/exten@context[/n]`. */
  readonly channel: string;
  /** Where the answered channel runs the dialplan (priority 1 by default)... */
  readonly context?: string;
  readonly exten?: string;
  readonly priority?: number;
  /** ...or the application it runs instead, with its data. */
  readonly application?: string;
  readonly data?: string;
  /** How long it may ring (ms); 30000 by default. */
  readonly timeoutMs?: number;
  readonly callerId?: { readonly num?: string; readonly name?: string };
  readonly variables?: Readonly<Record<string, string>>;
  /** The new channel's accountcode. */
  readonly account?: string;
  /**
   * The codecs the call may use (a call file's Codecs:, `all` for any): the endpoint's,
   * in its order, narrowed to these. None in common fails the call before it is placed
   * (reason 0, cause 58, as ast_request refuses it).
   */
  readonly codecs?: readonly string[];
  /**
   * Called once, with the originated channel still live, as the call is settled: at its
   * answer, or on its failure before it is hung up. The caller records what it decides
   * on the channel (call files: what becomes of the file), so the log holds it.
   */
  readonly settled?: (channel: Channel, reason: OriginateReason, cause: number) => void;
  /** The new channel's unique id (ARI's channelId); generated when not given. */
  readonly uniqueid?: string;
}

export interface OriginateOutcome {
  readonly reason: OriginateReason;
  /** Q.850: NORMAL_CLEARING when answered, else why it failed. */
  readonly cause: number;
  /** Why it failed before any call was placed. */
  readonly problem?: string;
  /** The originated channel (once one was created). */
  readonly channel?: string;
  readonly uniqueid?: string;
  /** Answered: settles when the channel's dialplan or application is over and the channel is gone. */
  readonly done?: Promise<void>;
}

const DEFAULT_TIMEOUT_MS = 30_000;
/** A channel's codecs when its driver names none (channel.ts). */
const DEFAULT_CODECS: readonly string[] = ["ulaw", "alaw"];

/** The Reason for a channel that ended before answering with `cause`. */
export function originateReason(cause: number): OriginateReason {
  switch (cause) {
    case Cause.USER_BUSY: return OriginateReason.BUSY;
    case Cause.SWITCH_CONGESTION: case Cause.NORMAL_CIRCUIT_CONGESTION: return OriginateReason.CONGESTION;
    case Cause.NO_ANSWER: case Cause.NO_USER_RESPONSE: return OriginateReason.NO_ANSWER;
    default: return OriginateReason.FAILURE;
  }
}

export async function originate(core: CallCore, request: OriginateRequest): Promise<OriginateOutcome> {
  const failed = (reason: OriginateReason, cause: number, problem: string): OriginateOutcome => {
    core.logger.log("WARNING", "pbx.c", `Unable to originate ${request.channel}: ${problem}`);
    return { reason, cause, problem };
  };
  const application = request.application?.trim();
  if (!application && (!request.context || !request.exten)) return failed(OriginateReason.FAILURE, Cause.NORMAL_UNSPECIFIED, "a context and extension, or an application, is required");
  if (application && !core.runsApplications) return failed(OriginateReason.FAILURE, Cause.NORMAL_UNSPECIFIED, "no application runner");
  const callerId = { num: request.callerId?.num ?? "", name: request.callerId?.name ?? "" };
  if (!application && await core.presence(request.context!, request.exten!, callerId.num) !== "exists") {
    return failed(OriginateReason.NO_SUCH_EXTENSION, Cause.UNALLOCATED, `extension '${request.exten}' does not exist in context '${request.context}'`);
  }
  const fields: NewChannel = {
    callerId, context: request.context ?? "default", exten: request.exten ?? "s", vars: { ...request.variables },
    ...(request.uniqueid ? { uniqueid: request.uniqueid } : {}),
  };
  const local = parseLocal(request.channel);
  if (local) {
    const pair = core.locals.pair(local, fields);
    if (request.account) pair.half1.setCdrField("accountcode", request.account);
    return new Call(core, request, application, pair.half1).viaLocal(pair, local);
  }
  const m = /^([A-Za-z0-9_]+)\/(.+)$/.exec(request.channel.trim());
  const driver = m ? core.driver(m[1]) : undefined;
  if (!m || !driver) return failed(OriginateReason.FAILURE, Cause.CHAN_NOT_IMPLEMENTED, `unsupported channel technology in '${request.channel}'`);
  const resolved = driver.resolve(request.channel, m[2]);
  const target: OutboundTarget | undefined = resolved.targets[0];
  if (!target) return failed(OriginateReason.FAILURE, Cause.NO_ROUTE_DESTINATION, resolved.problem ?? `'${request.channel}' has nothing to call`);
  let spec = request.account ? { ...target.channel, accountcode: request.account } : target.channel;
  if (request.codecs && !request.codecs.some((c) => c.toLowerCase() === "all")) {
    const wanted = new Set(request.codecs.map((c) => c.toLowerCase()));
    const codecs = (spec.codecs ?? DEFAULT_CODECS).filter((c) => wanted.has(c.toLowerCase()));
    if (!codecs.length) return failed(OriginateReason.FAILURE, Cause.BEARERCAPABILITY_NOTAVAIL, `no codec of ${request.codecs.join(",")} is allowed for '${request.channel}' (${(spec.codecs ?? DEFAULT_CODECS).join(",")})`);
    spec = { ...spec, codecs };
  }
  const channel = core.createChannel(spec, "out", { ...fields, context: request.context ?? target.context });
  return new Call(core, request, application, channel).viaDriver((on) => driver.call({ caller: undefined, origin: undefined, callee: channel, target, options: {} }, on));
}

/** One originated call until it is settled. */
class Call {
  private settled = false;
  /** Set as the answer is taken: a hang-up from then on ends a call, it cancels nothing. */
  private answering = false;
  private resolve!: (o: OriginateOutcome) => void;
  readonly outcome = new Promise<OriginateOutcome>((r) => { this.resolve = r; });
  private readonly timer: Timer;

  constructor(private readonly core: CallCore, private readonly request: OriginateRequest, private readonly application: string | undefined, private readonly channel: Channel) {
    const ms = request.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.timer = core.clock.schedule(core.clock.now() + ms * 1000, () => {
      if (this.settled) return;
      core.logger.log("VERBOSE", "pbx.c", `${channel.name} was not answered in ${ms} ms`);
      this.onTimeout?.();
      this.end(Cause.NO_ANSWER);
    });
  }

  private onTimeout: (() => void) | undefined;

  private settle(o: Omit<OriginateOutcome, "channel" | "uniqueid">): boolean {
    if (this.settled) return false;
    this.settled = true;
    this.timer.cancel();
    this.resolve({ ...o, channel: this.channel.name, uniqueid: this.channel.context().uniqueid });
    return true;
  }

  /** The channel ended before it answered. */
  private end(cause: number): void {
    if (!this.settled) this.request.settled?.(this.channel, originateReason(cause), cause);
    if (!this.channel.hungUp) this.channel.remoteHangup(cause, this.channel.name);
    this.channel.destroy();
    this.settle({ reason: originateReason(cause), cause });
  }

  private answered(): void {
    const channel = this.channel;
    this.answering = true;
    if (this.settled || channel.hungUp) { channel.hangup(Cause.NORMAL_CLEARING); channel.destroy(); return; }
    channel.pbx = true; // it runs a dialplan of its own now (transfers, bridges ask)
    this.request.settled?.(channel, OriginateReason.ANSWERED, Cause.NORMAL_CLEARING);
    const done = this.application ? this.runApplication() : new Promise<void>((resolve) => {
      const { context, exten, priority } = this.request;
      this.core.run(channel, { context: context!, exten: exten!, priority: priority ?? 1 }, resolve);
    });
    this.settle({ reason: OriginateReason.ANSWERED, cause: Cause.NORMAL_CLEARING, done });
  }

  private async runApplication(): Promise<void> {
    const channel = this.channel;
    try {
      await this.core.runApplication(channel, this.application!, this.request.data ?? "");
    } finally {
      if (!channel.hungUp) channel.hangup(Cause.NORMAL_CLEARING);
      channel.destroy();
    }
  }

  /** What the channel's driver (or its Local pair) reports. A Local `;1` only follows `;2`'s state. */
  private progress(): LegProgress {
    const channel = this.channel;
    const local = channel.tech === "Local";
    return {
      ringing: () => { if (!this.settled && !local) channel.ringing(); },
      progress: () => { if (!this.settled && !local) channel.change({ type: "progress" }, "sip"); },
      answered: () => this.answered(),
      failed: (cause) => this.end(cause),
    };
  }

  /** A driver's channel: the driver places the call and reports. */
  viaDriver(place: (on: LegProgress) => Promise<PlacedCall>): Promise<OriginateOutcome> {
    const channel = this.channel;
    let placed: PlacedCall | undefined;
    this.onTimeout = () => placed?.cancel();
    // Hung up from our side while it rings (ARI's DELETE /channels/{id}): cancel the call now.
    channel.onHangup.add(() => {
      if (this.settled || this.answering) return;
      placed?.cancel();
      this.end(channel.context().hangupCause ?? Cause.NORMAL_CLEARING);
    });
    place(this.progress()).then((p) => {
      placed = p;
      if (this.settled && channel.state() !== "up") p.cancel();
    }, (e: Error) => {
      this.core.logger.log("WARNING", "pbx.c", `Unable to call ${this.request.channel}: ${e.message}`);
      this.end(Cause.DESTINATION_OUT_OF_ORDER);
    });
    return this.outcome;
  }

  /** A Local pair: `;1` is answered when `;2` answers, and fails with `;2`'s cause. */
  viaLocal(pair: LocalPair, local: LocalTarget): Promise<OriginateOutcome> {
    this.core.locals.call(pair, local, undefined, this.progress());
    return this.outcome;
  }
}
