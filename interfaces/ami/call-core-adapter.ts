/**
 * The Pbx interface (pbx.ts) over the call core (calls/) and the PJSIP driver: AMI's
 * actions reach channels, bridges, transfers and Originate through here, SIP-only
 * things (a MESSAGE in a channel's dialog, qualify, registrations) through the driver.
 */
import type { SipServer } from "../../sip/server.js";
import type { Channel } from "../../calls/channel.js";
import type { CallCore } from "../../calls/core.js";
import { sipLeg } from "../../sip/call/leg.js";
import type { ContactInfo } from "../../sip/registrar/registrar.js";
import type { AstDb } from "../../actors/astdb/astdb.js";
import type { QueueService } from "../../actors/queue/service.js";
import type { CommandTable } from "../../core/commands.js";
import type { OutboundRegistrationContext } from "../../events/catalogue/outbound-registration.js";
import { registrationStatus } from "../../actors/outbound-registration/machine.js";
import { Cause } from "../../calls/hangup-causes.js";
import { holdBridge, stayBridged, type TwoPartyBridge } from "../../calls/bridge.js";
import type { ChannelView, DialplanPosition, EndpointView, OriginateRequest, OriginateResult, OutboundRegistrationView, Pbx } from "./pbx.js";

export interface CallCoreAdapterDeps {
  readonly sip: SipServer;
  readonly astdb: AstDb;
  readonly table: CommandTable;
  /** Run the dialplan on a channel from a position (the DialplanService's run). */
  readonly runDialplan: (channel: Channel, start: { context: string; exten: string; priority: number }) => Promise<void>;
  /** Getvar/Setvar through the dialplan (functions, live_dangerously): DialplanService.evaluate and assign. */
  readonly evaluate: (channel: Channel, text: string) => string;
  readonly assign: (channel: Channel, name: string, value: string) => void;
  readonly globals: () => Map<string, string>;
  /** The dialplan's hints (DialplanService.hints). */
  readonly hints: () => readonly { readonly context: string; readonly exten: string; readonly devices: readonly string[] }[];
  /** The extension state of a hint's devices (DeviceStates.extensionState). */
  readonly extensionStateOf: (devices: readonly string[]) => number;
  /** app_queue's queues, and the reload of queues.conf (its error text, undefined when it loaded). */
  readonly queues?: QueueService;
  readonly reloadQueues?: () => string | undefined;
}

export class CallCoreAdapter implements Pbx {
  readonly queues: QueueService | undefined;
  constructor(private readonly deps: CallCoreAdapterDeps) { this.queues = deps.queues; }

  reloadQueues(): string | undefined { return this.deps.reloadQueues?.(); }

  private get calls(): CallCore | undefined { return this.deps.sip.calls?.core; }

  private view(c: Channel): ChannelView {
    const ctx = c.context();
    const peer = ctx.bridge && ctx.peer ? this.calls?.list().find((x) => x.id === ctx.peer)?.name ?? "" : "";
    return { ctx, state: c.state(), bridgedTo: peer };
  }

  channels(): ChannelView[] { return (this.calls?.list() ?? []).filter((c) => !c.hungUp).map((c) => this.view(c)); }

  channel(name: string): ChannelView | undefined {
    const c = this.live(name);
    return c && this.view(c);
  }

  private live(name: string): Channel | undefined {
    const c = this.calls?.byName(name);
    return c && !c.hungUp ? c : undefined;
  }

  hangup(name: string, cause: number): boolean {
    const c = this.live(name);
    if (!c) return false;
    c.hangup(cause, "");
    return true;
  }

  getVar(name: string, variable: string): string | undefined {
    const c = this.live(name);
    return c ? this.deps.evaluate(c, `\${${variable}}`) : undefined;
  }

  setVar(name: string, variable: string, value: string): boolean {
    const c = this.live(name);
    if (!c) return false;
    this.deps.assign(c, variable, value);
    return true;
  }

  getGlobal(variable: string): string { return this.deps.globals().get(variable) ?? ""; }
  setGlobal(variable: string, value: string): void { this.deps.globals().set(variable, value); }

  /**
   * A bridged channel: both leave their bridge (no transfer: a Redirect), each goes to its
   * position: a leg whose Dial waits on the bridge continues there when Dial returns, a
   * called leg starts a dialplan of its own. A partner not redirected is hung up, as in
   * Asterisk. A channel outside a bridge: the application its dialplan runs is
   * interrupted and the dialplan goes on at the position (Asterisk's async goto); a leg
   * with no dialplan starts one there. ExtraChannel, when neither is bridged, likewise.
   */
  redirect(name: string, to: DialplanPosition, extra?: { name: string; to: DialplanPosition }): string | undefined {
    const c = this.live(name);
    const calls = this.calls;
    if (!c || !calls) return "Channel not found";
    const other = extra ? this.live(extra.name) : undefined;
    if (extra && !other) return "ExtraChannel not found";
    const send = (channel: Channel, at: DialplanPosition) => {
      if (channel.bridgeWaits > 0) { channel.continueAt = at; return; }
      channel.pbx = true;
      void this.deps.runDialplan(channel, at).catch(() => undefined).finally(() => channel.destroy());
    };
    const bridge = c.bridge;
    const partner = bridge?.partner(c);
    if (!bridge || !partner) {
      if (other?.bridge) return "ExtraChannel is bridged and Channel is not: redirect them one at a time";
      for (const [channel, at] of [[c, to], ...(other && extra ? [[other, extra.to]] : [])] as [Channel, DialplanPosition][]) {
        if (!channel.pbx) send(channel, at);
        else if (!channel.redirect(at)) return "Redirect failed, channel not up.";
      }
      return undefined;
    }
    if (extra && other !== partner) return "ExtraChannel must be the channel bridged to Channel";
    for (const m of [c, partner]) if (m.media) void calls.media.unbridge(m.media).catch(() => undefined);
    bridge.release();
    send(c, to);
    if (extra) send(partner, extra.to);
    else {
      partner.hangup(Cause.NORMAL_CLEARING, c.name);
      if (!partner.pbx) partner.destroy();
    }
    return undefined;
  }

  /**
   * AMI Bridge, as Asterisk 22's action_bridge: a leg running an application has it
   * interrupted and waits in the new bridge, going on after that application when the
   * bridge ends; a leg already bridged is moved out of its bridge (bridge.ts steal: the
   * partner left behind is treated as if it had hung up) and, if a Dial waited on it,
   * that Dial goes on at its next priority when the new bridge ends (Asterisk's
   * after-bridge goto); a moved called leg is hung up then. Tone channels hear a beep.
   */
  bridge(channel1: string, channel2: string, tone: "none" | "Channel1" | "Channel2" | "Both"): string | undefined {
    const calls = this.calls;
    const a = this.live(channel1), b = this.live(channel2);
    if (!calls || !a) return `Channel1 does not exist: ${channel1}`;
    if (!b) return `Channel2 does not exist: ${channel2}`;
    if (a === b) return `Unable to add Channel2 to bridge: ${b.name} is Channel1`;
    if (a.bridge && a.bridge === b.bridge) return `Unable to add Channel2 to bridge: ${b.name} is already bridged to ${a.name}`;
    for (const [n, c] of [[1, a], [2, b]] as const) {
      // A leg neither bridged nor running a dialplan (a called leg still ringing) has nowhere to come back to.
      if (!c.bridge && !c.pbx) return `Unable to add Channel${n} to bridge: ${c.name} is neither bridged nor in the dialplan`;
    }
    let arrived = 0;
    let bothHere!: () => void;
    const together = new Promise<void>((resolve) => { bothHere = resolve; });
    let made: Promise<TwoPartyBridge> | undefined;
    /** Answer, beep, wait for the other; the new bridge once both are here, undefined when either hung up first. */
    const arrive = async (me: Channel, other: Channel, beep: boolean): Promise<TwoPartyBridge | undefined> => {
      if (me.state() !== "up") await me.answer();
      if (beep) await me.play(["beep"], { noAnswer: true }).catch(() => undefined);
      if (++arrived === 2) bothHere();
      if (me.hungUp || other.hungUp) return undefined;
      // Wait for the other (it may still be hearing its beep); either hanging up meanwhile ends the wait.
      const gone = new Promise<"gone">((resolve) => {
        const done = () => resolve("gone");
        me.onHangup.add(done);
        other.onHangup.add(done);
        void together.finally(() => { me.onHangup.delete(done); other.onHangup.delete(done); });
      });
      if ((await Promise.race([together.then(() => "here" as const), gone])) === "gone" || me.hungUp || other.hungUp) return undefined;
      return made ??= calls.bridgePair(a, b).then((bridge) => { holdBridge(bridge); return bridge; });
    };
    const start = (me: Channel, other: Channel, beep: boolean): boolean => {
      const old = me.bridge;
      // When the other hangs up, this one goes on in its dialplan (true), as after Asterisk's Bridge action.
      if (!old) {
        return me.redirect({
          run: async () => {
            const bridge = await arrive(me, other, beep);
            if (bridge) await stayBridged(me, bridge, () => true);
            me.continueAt = undefined; // a place a later move set for a Dial: this wait goes on after its application instead
          },
        });
      }
      let moved!: () => void;
      const hold = new Promise<void>((resolve) => { moved = resolve; });
      const ctx = me.context();
      if (me.bridgeWaits > 0) me.continueAt = { context: ctx.context, exten: ctx.exten, priority: ctx.priority + 1 };
      for (const m of old.members) if (m.media) void calls.media.unbridge(m.media).catch(() => undefined);
      old.steal(me, hold);
      void arrive(me, other, beep).catch(() => undefined).then((bridge) => {
        moved();
        // Not bridged after all (the other hung up first): a called leg has no dialplan to go back to.
        if (!bridge && !me.pbx && !me.hungUp) { me.hangup(Cause.NORMAL_CLEARING, other.name); me.destroy(); }
      });
      return true;
    };
    const ok1 = start(a, b, tone === "Channel1" || tone === "Both");
    const ok2 = ok1 && start(b, a, tone === "Channel2" || tone === "Both");
    return ok1 && ok2 ? undefined : "Unable to add channels to bridge: a channel hung up";
  }

  atxfer(name: string, exten: string, context?: string): string | undefined {
    const c = this.live(name);
    const calls = this.calls;
    if (!c || !calls) return "Channel specified does not exist";
    return calls.transfers.attendedTo(c, exten, context);
  }

  blindTransfer(name: string, context: string, exten: string): boolean {
    const c = this.live(name);
    const calls = this.calls;
    if (!c || !calls) return false;
    if (!calls.transfers.blind(c, exten, context, {}, "ami")) return false;
    calls.transfers.leave(c);
    return true;
  }

  /** The hint's extension state as the call core folds it (calls/device-state.ts): what hints, BLF and EXTENSION_STATE see too. */
  extensionState(context: string, exten: string): { hint: string; status: number } | undefined {
    const hint = this.deps.hints().find((h) => h.context === context && h.exten === exten);
    if (!hint) return undefined;
    return { hint: hint.devices.join("&"), status: this.deps.extensionStateOf(hint.devices) };
  }

  sendText(name: string, text: string, contentType: string): Promise<number | undefined> {
    const c = this.live(name);
    const dialog = sipLeg(c)?.dialog;
    if (!c || !dialog) return Promise.resolve(undefined);
    const request = dialog.request("MESSAGE", { body: Buffer.from(text, "utf8"), contentType });
    return new Promise((resolve) => {
      this.deps.sip.transactions.sendRequest(request, dialog.destination, {
        onFinal: (r) => resolve(r.status),
        onTimeout: () => resolve(0),
        onTransportError: () => resolve(0),
      });
    });
  }

  async playDtmf(name: string, digit: string, durationMs: number, receive: boolean): Promise<boolean> {
    const c = this.live(name);
    const calls = this.calls;
    if (!c || !calls) return false;
    if (receive) { c.digit(digit, durationMs, "ami"); return true; }
    const session = await c.anchorMedia();
    await calls.media.service.sendDtmf(session, digit, durationMs);
    c.sentDigit(digit, durationMs, "ami");
    return true;
  }

  async mixMonitor(name: string, file: string, options: string): Promise<string | undefined> {
    const c = this.live(name);
    if (!c) return undefined;
    const started = await c.startMixMonitor({ file, ...(options.includes("a") ? { append: true } : {}), ...(options.includes("b") ? { bridgedOnly: true } : {}) });
    return started.id;
  }

  async stopMixMonitor(name: string, id?: string): Promise<boolean> {
    const c = this.live(name);
    return c ? c.stopMixMonitor(id) : false;
  }

  /** Originate through the call core (calls/originate.ts): a channel that runs the dialplan or one application once answered. */
  originate = async (request: OriginateRequest, onNew: (channel: string) => void): Promise<OriginateResult> => {
    const core = this.calls;
    if (!core) throw new Error("calls are not enabled");
    const to = request.to;
    const outcome = await core.originate({
      channel: request.channel, timeoutMs: request.timeoutMs, callerId: request.callerId, variables: request.variables,
      ...(request.account ? { account: request.account } : {}),
      ...("context" in to ? { context: to.context, exten: to.exten, priority: to.priority } : { application: to.application, data: to.data }),
    });
    if (outcome.channel) onNew(outcome.channel);
    return {
      response: outcome.reason === 4 ? "Success" : "Failure", reason: outcome.reason, channel: outcome.channel ?? "", uniqueid: outcome.uniqueid ?? "",
      callerId: request.callerId, context: "context" in to ? to.context : "", exten: "context" in to ? to.exten : "",
    };
  };

  dbGet(family: string, key: string): string | undefined { return this.deps.astdb.get(family, key); }
  dbPut(family: string, key: string, value: string): void { this.deps.astdb.put(family, key, value, "ami"); }
  dbDel(family: string, key: string): boolean { return this.deps.astdb.del(family, key, "ami"); }
  dbDelTree(family: string, keytree?: string): number { return this.deps.astdb.deltree(family, keytree, "ami"); }

  endpoints(): EndpointView[] {
    const { sip } = this.deps;
    const model = sip.pjsip;
    const live = this.channels();
    return [...model.endpoints.values()].map((e) => {
      const contacts = e.aors.flatMap((aor) => sip.registrar.contacts(aor).map((c) => {
        const q = sip.qualifier.status(c);
        const [, host = ""] = /^[a-z]+:(.*):\d+$/.exec(c.context?.received ?? "") ?? [];
        return {
          aor, uri: c.uri, status: (model.aors.get(aor)?.qualify_frequency ?? 0) > 0 ? (q.status === "Avail" ? "Reachable" : q.status === "Unavail" ? "Unreachable" : "Unknown") : "NonQualified",
          rttUsec: Math.round((q.rttMs ?? 0) * 1000), userAgent: c.context?.userAgent ?? "",
          ...(c.context ? { expiresAt: c.context.expiresAt } : {}), viaAddr: host, callId: c.context?.callId ?? "",
        };
      }));
      const activeChannels = live.filter((c) => c.ctx.tech === "PJSIP" && c.ctx.endpoint === e.name).map((c) => c.ctx.name);
      const deviceState = activeChannels.length ? "In use" : contacts.length ? "Not in use" : "Unavailable";
      return { name: e.name, transport: e.transport, aors: e.aors, auths: e.auth, outboundAuths: e.outbound_auth, context: e.context, contacts, deviceState, activeChannels };
    });
  }

  outboundRegistrations(): OutboundRegistrationView[] {
    const runtime = this.calls?.runtime;
    if (!runtime) return [];
    return runtime.ids("outbound-registration").map((id) => {
      const state = runtime.state(id)!;
      const c = state.context as OutboundRegistrationContext;
      return {
        name: c.name, serverUri: c.serverUri, clientUri: c.clientUri, status: registrationStatus(state.value),
        expiration: c.expiration, retryInterval: c.retryInterval, maxRetries: c.maxRetries, ...(c.nextAt ? { nextRegAt: c.nextAt } : {}),
      };
    });
  }

  qualify(endpoint: string): boolean {
    const { sip } = this.deps;
    const e = sip.pjsip.endpoints.get(endpoint);
    if (!e) return false;
    // The qualifier's own OPTIONS ping (private in sip/registrar/qualify.ts), with the AOR's qualify_timeout.
    const qualifier = sip.qualifier as unknown as { ping(contact: ContactInfo, timeoutSeconds: number): void };
    for (const aor of e.aors) for (const c of sip.registrar.contacts(aor)) qualifier.ping(c, sip.pjsip.aors.get(aor)?.qualify_timeout ?? 3);
    return true;
  }

  sendRegistration(name: string, what: "register" | "unregister"): boolean { return this.deps.sip.outbound.command(name, what); }

  command(line: string): Promise<string> { return this.deps.table.run(line); }

  async reload(module?: string): Promise<string> {
    const m = (module ?? "").toLowerCase();
    const out: string[] = [];
    if (!m || m.includes("pjsip")) out.push(await this.deps.table.run("pjsip reload"));
    if (!m || m.includes("pbx_config") || m.includes("extensions") || m.includes("dialplan")) out.push(await this.deps.table.run("dialplan reload"));
    return out.join("");
  }
}
