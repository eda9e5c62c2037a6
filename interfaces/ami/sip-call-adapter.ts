/**
 * The Pbx interface (pbx.ts) over today's call core in sip/call/: the one file to
 * re-point when the call core moves to calls/. Originate uses three members Calls
 * keeps private (resolve, create, sendInvite: what Dial uses for a called leg) through
 * a typed view below; calls/ should offer an originate() of its own, and this view
 * goes away.
 */
import type { SipServer } from "../../sip/server.js";
import type { Calls } from "../../sip/call/calls.js";
import type { SipChannel } from "../../sip/call/channel.js";
import type { Endpoint } from "../../sip/config/model.js";
import type { ContactInfo } from "../../sip/registrar/registrar.js";
import type { AstDb } from "../../actors/astdb/astdb.js";
import type { CommandTable } from "../console/commands.js";
import type { OutboundRegistrationContext } from "../../events/catalogue/outbound-registration.js";
import { registrationStatus } from "../../actors/outbound-registration/machine.js";
import { Cause } from "../../dialplan/hangup-causes.js";
import type { ChannelView, DialplanPosition, EndpointView, ExtensionState, OriginateRequest, OriginateResult, OutboundRegistrationView, Pbx } from "./pbx.js";

type Target = { readonly endpoint: Endpoint; readonly uri: string; readonly dialstring: string } | { readonly local: unknown; readonly dialstring: string };
interface TransfersInternals {
  blind(transferer: SipChannel, exten: string, context: string, vars: Record<string, string>, source: "ami"): boolean;
  leave(channel: SipChannel): void;
}
interface CallsInternals {
  readonly transfers: TransfersInternals;
  resolve(dialstring: string): { targets: Target[]; problem?: string };
  create(of: { endpoint: Endpoint }, direction: "out", fields: {
    callerId: { num: string; name: string }; context: string; exten: string; vars?: Record<string, string>;
  }): SipChannel;
  sendInvite(caller: SipChannel, callee: SipChannel, target: Target, offer: Buffer, on: {
    ringing(): void; progress(sdp: Buffer | undefined): void; answered(): void; failed(cause: number, sipStatus?: number): void;
  }): { cancel(): void };
}

export interface SipCallAdapterDeps {
  readonly sip: SipServer;
  readonly astdb: AstDb;
  readonly table: CommandTable;
  /** Run the dialplan on a channel from a position (the DialplanService's run). */
  readonly runDialplan: (channel: SipChannel, start: { context: string; exten: string; priority: number }) => Promise<void>;
  /** Getvar/Setvar through the dialplan (functions, live_dangerously): DialplanService.evaluate and assign. */
  readonly evaluate: (channel: SipChannel, text: string) => string;
  readonly assign: (channel: SipChannel, name: string, value: string) => void;
  readonly globals: () => Map<string, string>;
  /** The dialplan's hints (DialplanService.hints). */
  readonly hints: () => readonly { readonly context: string; readonly exten: string; readonly devices: readonly string[] }[];
}

export class SipCallAdapter implements Pbx {
  constructor(private readonly deps: SipCallAdapterDeps) {}

  private get calls(): Calls | undefined { return this.deps.sip.calls; }

  private view(c: SipChannel): ChannelView {
    const ctx = c.context();
    const peer = ctx.bridge && ctx.peer ? this.calls?.list().find((x) => x.id === ctx.peer)?.name ?? "" : "";
    return { ctx, state: c.state(), bridgedTo: peer };
  }

  channels(): ChannelView[] { return (this.calls?.list() ?? []).filter((c) => !c.hungUp).map((c) => this.view(c)); }

  channel(name: string): ChannelView | undefined {
    const c = this.live(name);
    return c && this.view(c);
  }

  private live(name: string): SipChannel | undefined {
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
   * Both channels leave their bridge (no transfer: a Redirect), each goes to its position:
   * a leg whose Dial waits on the bridge continues there when Dial returns, a called leg
   * starts a dialplan of its own. A partner not redirected is hung up, as in Asterisk.
   * Only bridged channels: a channel inside an application cannot be interrupted yet.
   */
  redirect(name: string, to: DialplanPosition, extra?: { name: string; to: DialplanPosition }): string | undefined {
    const c = this.live(name);
    const calls = this.calls;
    if (!c || !calls) return "Channel not found";
    const bridge = c.bridge;
    const partner = bridge?.partner(c);
    if (!bridge || !partner) return "Redirect of a channel outside a bridge is not supported yet";
    const other = extra ? this.live(extra.name) : undefined;
    if (extra && other !== partner) return "ExtraChannel must be the channel bridged to Channel";
    for (const m of [c, partner]) if (m.media) void calls.media.unbridge(m.media).catch(() => undefined);
    bridge.release();
    const send = (channel: SipChannel, at: DialplanPosition) => {
      if (channel.bridgeWaits > 0) { channel.continueAt = at; return; }
      channel.pbx = true;
      void this.deps.runDialplan(channel, at).catch(() => undefined).finally(() => channel.destroy());
    };
    send(c, to);
    if (extra) send(partner, extra.to);
    else {
      partner.hangup(Cause.NORMAL_CLEARING, c.name);
      if (!partner.pbx) partner.destroy();
    }
    return undefined;
  }

  blindTransfer(name: string, context: string, exten: string): boolean {
    const c = this.live(name);
    const calls = this.calls;
    if (!c || !calls) return false;
    const transfers = (calls as unknown as CallsInternals).transfers;
    if (!transfers.blind(c, exten, context, {}, "ami")) return false;
    transfers.leave(c);
    return true;
  }

  /** As Asterisk combines device states: any in use (and ringing), else ringing, else idle if any is reachable. */
  extensionState(context: string, exten: string): { hint: string; state: ExtensionState } | undefined {
    const hint = this.deps.hints().find((h) => h.context === context && h.exten === exten);
    if (!hint) return undefined;
    const endpoints = new Map(this.endpoints().map((e) => [`PJSIP/${e.name}`.toLowerCase(), e]));
    const live = this.channels();
    let inUse = false, ringing = false, available = false;
    for (const device of hint.devices) {
      const e = endpoints.get(device.toLowerCase());
      if (!e) continue;
      for (const c of live.filter((x) => x.ctx.tech === "PJSIP" && x.ctx.endpoint === e.name)) {
        if (c.state === "ringing" || c.state === "down" || c.state === "dialing") ringing = true; else inUse = true;
      }
      if (e.contacts.length) available = true;
    }
    const state: ExtensionState = inUse && ringing ? "InUse&Ringing" : inUse ? "InUse" : ringing ? "Ringing" : available ? "Idle" : "Unavailable";
    return { hint: hint.devices.join("&"), state };
  }

  sendText(name: string, text: string, contentType: string): Promise<number | undefined> {
    const c = this.live(name);
    const dialog = c?.dialog;
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
    if (receive) { c.digit(digit); return true; }
    const session = await c.anchorMedia();
    await calls.media.service.sendDtmf(session, digit, durationMs);
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

  /**
   * A new outbound leg, as Dial makes one (the endpoint's contacts, our own media
   * session's offer), that runs the dialplan from context/exten/priority once answered.
   * Only PJSIP endpoints, with the first contact the dial string resolves to.
   */
  originate = async (request: OriginateRequest, onNew: (channel: string) => void): Promise<OriginateResult> => {
    const calls = this.calls;
    if (!calls) throw new Error("calls are not enabled");
    if (!("context" in request.to)) throw new Error("Originate with Application is not supported yet; give Context, Exten and Priority");
    const to = request.to;
    const internals = calls as unknown as CallsInternals;
    const target = internals.resolve(request.channel).targets.find((t): t is Extract<Target, { uri: string }> => "uri" in t);
    const failure = (reason: number, channel = "", uniqueid = ""): OriginateResult => ({
      response: "Failure", reason, channel, uniqueid, callerId: request.callerId, context: to.context, exten: to.exten,
    });
    if (!target) return failure(0);
    const channel = internals.create({ endpoint: target.endpoint }, "out", {
      callerId: request.callerId, context: to.context, exten: to.exten,
      ...(Object.keys(request.variables).length ? { vars: { ...request.variables } } : {}),
    });
    channel.pbx = true;
    if (request.account) channel.setCdrField("accountcode", request.account);
    onNew(channel.name);
    const uniqueid = channel.context().uniqueid;
    try {
      const leg = await calls.media.offer(channel);
      channel.media = leg.id;
      return await new Promise<OriginateResult>((resolve) => {
        let rang = false;
        const timer = calls.clock.schedule(calls.clock.now() + request.timeoutMs * 1000, () => {
          handle.cancel();
          channel.remoteHangup(Cause.NO_ANSWER, channel.name);
          channel.destroy();
          resolve(failure(rang ? 3 : 1, channel.name, uniqueid));
        });
        const handle = internals.sendInvite(channel, channel, target, leg.sdp, {
          ringing: () => { rang = true; channel.ringing(); },
          progress: () => { rang = true; },
          answered: () => {
            timer.cancel();
            resolve({ response: "Success", reason: 4, channel: channel.name, uniqueid, callerId: request.callerId, context: to.context, exten: to.exten });
            void this.deps.runDialplan(channel, to).catch(() => undefined).finally(() => channel.destroy());
          },
          failed: (cause) => {
            timer.cancel();
            channel.destroy();
            resolve(failure(cause === Cause.USER_BUSY ? 5 : cause === 34 || cause === 42 ? 8 : 1, channel.name, uniqueid));
          },
        });
      });
    } catch (e) {
      channel.remoteHangup(Cause.DESTINATION_OUT_OF_ORDER, channel.name);
      channel.destroy();
      throw e;
    }
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
    const runtime = this.deps.sip.calls?.runtime;
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
