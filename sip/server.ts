/**
 * The SIP service of a running Recall: pjsip.conf loaded into a model, its transports
 * bound, the transaction layer over them, and the request handlers (registrar,
 * OPTIONS), outbound registrations, qualify, and the `pjsip ...` console commands.
 */
import type { Clock } from "../core/clock.js";
import type { Logger } from "../core/logger.js";
import type { Random } from "../core/random.js";
import type { ActorRuntime } from "../actors/runtime.js";
import { registrationStatus } from "../actors/outbound-registration/machine.js";
import type { OutboundRegistrationContext } from "../events/catalogue/outbound-registration.js";
import type { CommandTable } from "../core/commands.js";
import { formatDiagnostic } from "../conf/tokenizer.js";
import { loadPjsipConfig, type PjsipModel } from "./config/index.js";
import { registerPjsipCommands, type ContactView, type PjsipView } from "./console/index.js";
import { AuthSecurity } from "./endpoint/security.js";
import { OutboundRegistrations } from "./outbound/registrations.js";
import { Qualifier } from "./registrar/qualify.js";
import { Registrar } from "./registrar/registrar.js";
import { TransactionLayer, type ServerTransaction } from "./transaction/index.js";
import { type Transport, TransportLayer, type TransportOptions } from "./transport/index.js";
import { PjsipDriver, type ExtensionPresence, type PjsipDriverDeps, type Presence } from "./call/pjsip.js";
import { CallCore, type CallCoreDeps } from "../calls/core.js";
import { tlsSettings } from "./config/tls.js";
import { RemoteSwitch } from "./call/remote-switch.js";
import { identifyEndpoint } from "./endpoint/identify.js";
import { refuse } from "./refuse.js";
import { SUPPORTED_OPTION_TAGS, screenRequest } from "./screen.js";
import { registerCallCommands } from "../calls/console.js";
import { Subscriptions, type SubscriptionLimits } from "./subscription/subscriptions.js";
import { PjsipDeviceFeed } from "./subscription/device-feed.js";
import { Messages } from "./messaging/messages.js";
import { registerSubscriptionCommands } from "./subscription/console.js";
import { loadSubscriptionLimits } from "./subscription/limits-conf.js";
import { CallAdmission, loadAdmissionLimits, type AdmissionLimits } from "./call/admission.js";
import type { DialplanChannel } from "../calls/channel-api.js";
import type { DeviceStates } from "../calls/device-state.js";
import type { HintWatchers } from "../calls/hint-watchers.js";
import type { MailboxStates } from "../calls/mailbox-state.js";

export interface SipServerDeps {
  readonly configDir: string;
  readonly runtime: ActorRuntime;
  readonly clock: Clock;
  readonly random: Random;
  readonly logger: Logger;
  /** Signs digest nonces; kept in the data directory so nonces survive a restart. */
  readonly nonceSecret: string;
  readonly console: CommandTable;
  /** Transports to serve on instead of binding pjsip.conf's (a simulation's in-memory network). */
  readonly transports?: readonly Transport[];
  readonly userAgent: string;
  /** Calls: the dialplan to run on new channels and the media workers; without them INVITEs are answered 501. */
  readonly calls?: Pick<CallCoreDeps, "runDialplan" | "media" | "features" | "runApplication"> & {
    readonly accepting?: PjsipDriverDeps["accepting"];
    /** The event loop's typical lag (ms) since the last call, for load shedding (admission.ts); absent: only the set-up count sheds. */
    readonly lag?: () => number;
  };
  /**
   * Whether an extension exists in a context of this node's dialplan: an OPTIONS to
   * `exten@recall` from an identified endpoint is answered 200, 484 (more digits could
   * match) or 404, as a remote `switch => PJSIP/...` asks it.
   */
  readonly extensionPresence?: ExtensionPresence;
  /** The same question without asking this node's switches: how an OPTIONS to `exten@recall` is answered. */
  readonly localPresence?: (context: string, exten: string, now: number) => Presence;
  /** Subscriptions (SUBSCRIBE/NOTIFY): the device and mailbox states they watch, and the dialplan's hints. */
  readonly subscriptions?: {
    readonly devices: DeviceStates;
    readonly watchers: HintWatchers;
    readonly mailboxes: MailboxStates;
    /** The devices of the dialplan's hint for `exten` in `context`, if it has one. */
    readonly hint: (context: string, exten: string) => readonly string[] | undefined;
    readonly limits?: SubscriptionLimits;
  };
  /** MESSAGE into the dialplan: whether an extension exists, and running it on a message's channel. */
  readonly messages?: {
    readonly exists: (context: string, exten: string) => boolean;
    readonly run: (channel: DialplanChannel, start: { context: string; exten: string; priority: number }) => Promise<void>;
  };
}

const ALLOW = "OPTIONS, REGISTER, INVITE, ACK, BYE, CANCEL, INFO, REFER, UPDATE, SUBSCRIBE, MESSAGE";

/** A hint `pjsip_wizard.conf` made with `has_hint` (`hint_context`, `hint_exten`). */
function wizardHint(model: PjsipModel, context: string, exten: string): readonly string[] | undefined {
  const h = model.hints.find((w) => w.context === context && w.exten === exten);
  return h ? h.device.split("&").map((d) => d.trim()).filter(Boolean) : undefined;
}

function transportOptions(model: PjsipModel): TransportOptions[] {
  // A WebSocket transport binds nothing (the HTTP server does): its bind is optional.
  const webSocket = (t: { protocol: string }) => t.protocol === "ws" || t.protocol === "wss";
  return [...model.transports.values()].filter((t) => t.bind || webSocket(t)).map((t) => ({
    name: t.name,
    protocol: t.protocol as TransportOptions["protocol"],
    bind: t.bind ?? { host: "0.0.0.0", port: 0 },
    ...(t.external_signaling_address ? { externalSignalingAddress: t.external_signaling_address } : {}),
    ...(t.external_signaling_port ? { externalSignalingPort: t.external_signaling_port } : {}),
    ...(t.local_net.length ? { localNet: t.local_net.map((n) => `${n.address}/${n.prefix}`) } : {}),
    ...(t.protocol === "tls" ? { tls: tlsSettings(t) } : {}),
  }));
}

export class SipServer {
  private constructor(
    private readonly deps: SipServerDeps,
    private model: PjsipModel,
    readonly transports: TransportLayer,
    readonly transactions: TransactionLayer,
    readonly registrar: Registrar,
    readonly outbound: OutboundRegistrations,
    readonly qualifier: Qualifier,
    readonly calls: PjsipDriver | undefined,
    /** `switch => PJSIP/<endpoint>` lookups on the node behind an endpoint. */
    readonly remoteSwitch: RemoteSwitch,
    /** SUBSCRIBE/NOTIFY, when the PBX gave device states (subscription/). */
    readonly subscriptions?: Subscriptions,
    private readonly deviceFeed?: PjsipDeviceFeed,
    /** MESSAGE into the dialplan (messaging/). */
    readonly messages?: Messages,
  ) {}

  /** Load pjsip.conf, bind its transports and start serving. Config errors are logged with file and line. */
  static async start(deps: SipServerDeps): Promise<SipServer> {
    const { runtime, clock, random, logger } = deps;
    const model = SipServer.load(deps);
    // A simulation hands its own transports (on a simulated network); else pjsip.conf's are bound.
    const transports = deps.transports ? new TransportLayer({ transports: [...deps.transports], random, logger }) : TransportLayer.create(transportOptions(model), { random, logger });
    await transports.start();
    const transactions = new TransactionLayer({ transports, clock, random, logger, timers: { t1: model.system.timer_t1, timeout: model.system.timer_b } });
    let current = model;
    const getModel = () => current;
    const security = new AuthSecurity(logger);
    const registrar = new Registrar({ model: getModel, runtime, clock, random, nonceSecret: deps.nonceSecret, logger, security });
    const outbound = new OutboundRegistrations({ runtime, transactions, model: getModel, random, logger, userAgent: deps.userAgent });
    const qualifier = new Qualifier({ model: getModel, registrar, runtime, transactions, clock, random, logger });
    // The call core, with PJSIP as its channel driver.
    const core = deps.calls && new CallCore({
      runtime, clock, random, logger, ...deps.calls, ...(deps.extensionPresence ? { extensionPresence: deps.extensionPresence } : {}),
    });
    const calls = core && new PjsipDriver({
      core, transactions, model: getModel, registrar, clock, random, logger, security, nonceSecret: deps.nonceSecret,
      userAgent: deps.userAgent, lineEndpoint: (token) => outbound.endpointForLine(token),
      ...(deps.extensionPresence ? { extensionPresence: deps.extensionPresence } : {}),
      ...(deps.calls?.accepting ? { accepting: deps.calls.accepting } : {}),
      admission: new CallAdmission({ clock, logger, limits: SipServer.admissionLimits(deps), ...(deps.calls?.lag ? { lag: deps.calls.lag } : {}) }),
    });
    const remoteSwitch = new RemoteSwitch({ transactions, model: getModel, registrar, clock, random, logger, userAgent: deps.userAgent });
    const subs = deps.subscriptions;
    const deviceFeed = subs && new PjsipDeviceFeed({ devices: subs.devices, registrar, model: getModel, runtime });
    const limits = subs && (subs.limits ?? SipServer.subscriptionLimits(deps));
    const subscriptions = subs && new Subscriptions({
      runtime, transactions, model: getModel, clock, random, logger, security, nonceSecret: deps.nonceSecret, userAgent: deps.userAgent,
      watchers: subs.watchers, mailboxes: subs.mailboxes, ...(limits ? { limits } : {}),
      // The dialplan's hint, else one a pjsip_wizard.conf `has_hint` made.
      hint: (context, exten) => subs.hint(context, exten) ?? wizardHint(getModel(), context, exten),
    });
    subscriptions?.resume();
    const messages = deps.messages && new Messages({
      runtime, transactions, model: getModel, registrar, clock, random, logger, security, nonceSecret: deps.nonceSecret, userAgent: deps.userAgent, ...deps.messages,
    });
    const server = new SipServer(deps, model, transports, transactions, registrar, outbound, qualifier, calls, remoteSwitch, subscriptions, deviceFeed, messages);
    server.setModel = (m) => { current = m; server.model = m; };
    transactions.onRequest((tx) => server.request(tx));
    runtime.onOutput("log", (id, o) => logger.log(o.level as "WARNING", id.startsWith("outbound-registration:") ? "res_pjsip_outbound_registration.c" : id.split(":")[0], o.message as string));
    server.registerCommands();
    outbound.sync();
    qualifier.start();
    for (const t of transports.transports) logger.log("VERBOSE", "res_pjsip_transport", `Transport '${t.name}' listening on ${t.protocol.toUpperCase()}:${t.local.host}:${t.local.port}`);
    return server;
  }

  private setModel: (m: PjsipModel) => void = () => undefined;

  private static load(deps: SipServerDeps): PjsipModel {
    const { model, errors, warnings } = loadPjsipConfig(deps.configDir);
    for (const w of warnings) deps.logger.log("WARNING", "res_pjsip/config", formatDiagnostic(w));
    for (const e of errors) deps.logger.log("ERROR", "res_pjsip/config", formatDiagnostic(e));
    return model;
  }

  /** recall.conf [subscriptions]; a bad value is logged with its place and the default kept. */
  private static subscriptionLimits(deps: SipServerDeps): SubscriptionLimits {
    const { limits, errors } = loadSubscriptionLimits(deps.configDir);
    for (const e of errors) deps.logger.log("ERROR", "res_pjsip_pubsub.c", e.message);
    return limits;
  }

  /** recall.conf [calls]; a bad value is logged with its place and the default kept. */
  private static admissionLimits(deps: SipServerDeps): AdmissionLimits {
    const { limits, errors } = loadAdmissionLimits(deps.configDir);
    for (const e of errors) deps.logger.log("ERROR", "res_pjsip_session.c", e.message);
    return limits;
  }

  get pjsip(): PjsipModel { return this.model; }

  private request(tx: ServerTransaction): void {
    const req = tx.request;
    const refusal = screenRequest(req);
    if (refusal) {
      refuse(tx, refusal, this.deps.logger);
      return;
    }
    if (this.calls?.handle(tx)) return;
    if (this.subscriptions?.handle(tx)) return;
    if (this.messages?.handle(tx)) return;
    switch (req.method) {
      case "REGISTER":
        this.registrar.handle(req, tx.source, (response) => tx.respond(response));
        return;
      case "OPTIONS":
        tx.respond(this.optionsStatus(tx), { headers: [["Allow", ALLOW], ["Accept", "application/sdp"], ["Supported", SUPPORTED_OPTION_TAGS.join(", ")]] });
        return;
      default:
        tx.respond(501, { headers: [["Allow", ALLOW]] });
    }
  }

  /**
   * OPTIONS to a user part from an identified endpoint asks whether that extension
   * exists in the endpoint's context (as Asterisk's res_pjsip answers 404 when it
   * does not; Recall adds 484 for "more digits could match"). Anything else is 200.
   */
  private optionsStatus(tx: ServerTransaction): number {
    const user = tx.request.requestUri.user;
    const presence = this.deps.localPresence;
    if (!user || !presence) return 200;
    const identified = identifyEndpoint(this.model, tx.request, tx.source);
    if (!identified) return 200;
    let exten = user;
    try { exten = decodeURIComponent(user); } catch { /* keep it as sent */ }
    const found = presence(identified.endpoint.context, exten, this.deps.clock.now());
    return found === "exists" ? 200 : found === "more" ? 484 : 404;
  }

  /** Re-read pjsip.conf: endpoints, AORs, auths and registrations change; transports stay as bound. */
  reload(): string {
    const before = this.model;
    const next = SipServer.load(this.deps);
    this.setModel(next);
    this.outbound.sync();
    this.qualifier.start();
    this.deviceFeed?.sync();
    const changed = ["endpoints", "aors", "auths", "registrations"].map((k) => {
      const a = (before as unknown as Record<string, ReadonlyMap<string, unknown>>)[k], b = (next as unknown as Record<string, ReadonlyMap<string, unknown>>)[k];
      return `${k} ${b.size}${a.size !== b.size ? ` (was ${a.size})` : ""}`;
    });
    return `pjsip.conf reloaded: ${changed.join(", ")}\n`;
  }

  private view(): PjsipView {
    const { runtime, clock } = this.deps;
    return {
      model: () => this.model,
      now: () => clock.now(),
      contacts: () => {
        const out: ContactView[] = [];
        for (const aor of this.model.aors.values()) {
          for (const c of this.registrar.contacts(aor.name)) {
            const q = this.qualifier.status(c);
            const status = aor.qualify_frequency > 0 ? q.status : "NonQual";
            const [, host = "", port = ""] = /^[a-z]+:(.*):(\d+)$/.exec(c.context?.received ?? "") ?? [];
            out.push({
              aor: aor.name, uri: c.uri, static: c.static, status,
              ...(status === "Avail" && q.rttMs !== undefined ? { rttMs: q.rttMs } : {}),
              ...(c.context ? {
                expiresAt: c.context.expiresAt, userAgent: c.context.userAgent, endpoint: c.context.endpoint,
                viaAddr: host, viaPort: Number(port) || 0, callId: c.context.callId,
              } : {}),
            });
          }
        }
        return out;
      },
      registrations: () => runtime.ids("outbound-registration").map((id) => {
        const state = runtime.state(id)!;
        const ctx = state.context as OutboundRegistrationContext;
        return { name: ctx.name, status: registrationStatus(state.value), ...(ctx.nextAt ? { nextRegAt: ctx.nextAt } : {}) };
      }),
      endpointState: (name) => ({ state: this.registrar.contacts(name).length ? "Not in use" : "Unavailable", channels: [] }),
    };
  }

  private registerCommands(): void {
    const table = this.deps.console;
    registerPjsipCommands(table, this.view());
    if (this.calls) registerCallCommands(table, this.calls.core, () => this.deps.clock.now());
    if (this.subscriptions) registerSubscriptionCommands(table, this.subscriptions, () => this.deps.clock.now());
    table.register("pjsip reload", "Reload pjsip.conf (endpoints, AORs, auths, registrations)", () => this.reload());
    table.register("pjsip send register", "Send a REGISTER for an outbound registration now", (args) =>
      this.outbound.command(args[0] ?? "", "register") ? "" : `Unable to retrieve registration ${args[0] ?? ""}\n`);
    table.register("pjsip send unregister", "Unregister an outbound registration", (args) =>
      this.outbound.command(args[0] ?? "", "unregister") ? "" : `Unable to retrieve registration ${args[0] ?? ""}\n`);
  }

  async stop(): Promise<void> {
    this.qualifier.stop();
    this.transactions.close();
    await this.transports.stop();
  }
}
