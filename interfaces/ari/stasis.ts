/**
 * ARI's live side: the applications (one per name, live while an event WebSocket
 * serves it), the channels in them (Stasis()), their subscriptions, the bridges and
 * playbacks ARI made, and the delivery of events to each application's sockets.
 *
 * Guarantees:
 * - a channel is in at most one application; `Stasis()` into an application nobody
 *   serves is STASISSTATUS=FAILED at once;
 * - a channel leaves its application exactly once: `continue` (SUCCESS, the dialplan
 *   goes on), `move` (into another application), or hang-up (KILLED);
 * - events reach an application's sockets in the order they were delivered here;
 *   a socket whose unsent events pass its bound is closed (websocket.ts).
 */
import type { Channel } from "../../calls/channel.js";
import type { CallCore } from "../../calls/core.js";
import type { DialplanChannel } from "../../calls/channel-api.js";
import type { StasisExit, StasisServices } from "../../dialplan/apps/stasis.js";
import type { Logger } from "../../core/logger.js";
import type { AriEvent, Subscriptions } from "./events.js";
import type { AriBridge } from "./bridge.js";
import type { AriPlayback } from "./playback.js";
import { ariTime, channelJson } from "./json.js";

export interface EventSink {
  send(event: AriEvent): void;
}

export interface AriApplication {
  readonly name: string;
  readonly sinks: Set<EventSink>;
  /** Channels (unique ids), bridges (ids), endpoints (`PJSIP/6001`), device names subscribed to. */
  readonly channels: Set<string>;
  readonly bridges: Set<string>;
  readonly endpoints: Set<string>;
  readonly devices: Set<string>;
  subscribeAll: boolean;
  /** Event types allowed / disallowed (applications/{app}/eventFilter); empty allowed = all. */
  allowed: { type: string }[];
  disallowed: { type: string }[];
}

interface InStasis {
  readonly app: string;
  readonly channel: Channel;
  readonly leave: (exit: StasisExit) => void;
}

export class AriStasis implements StasisServices, Subscriptions {
  readonly apps = new Map<string, AriApplication>();
  readonly inStasis = new Map<string, InStasis>();
  readonly bridges = new Map<string, AriBridge>();
  readonly playbacks = new Map<string, AriPlayback>();
  /** Channels created with POST /channels/create, not dialled yet. */
  readonly created = new Map<string, { endpoint: string; app: string; appArgs: string; variables: Record<string, string> }>();
  readonly stats = { delivered: 0, dropped: 0 };
  /** Told of each digit a channel in an application sends, after its ChannelDtmfReceived (recordings' terminateOn). */
  readonly digitTaps = new Set<(channel: Channel, digit: string) => void>();
  /** Channels muted by ARI (unique id → directions), so an unmute of one direction keeps the other. */
  readonly muted = new Map<string, { rx: boolean; tx: boolean }>();

  constructor(readonly core: CallCore, readonly logger: Logger) {}

  // ---- applications ---------------------------------------------------------------

  application(name: string, create = false): AriApplication | undefined {
    let app = this.apps.get(name);
    if (!app && create) {
      app = { name, sinks: new Set(), channels: new Set(), bridges: new Set(), endpoints: new Set(), devices: new Set(), subscribeAll: false, allowed: [], disallowed: [] };
      this.apps.set(name, app);
    }
    return app;
  }

  /** An event socket serves `name`; an earlier socket for it hears ApplicationReplaced (as Asterisk does) and stays. */
  attach(name: string, sink: EventSink, subscribeAll: boolean): void {
    const app = this.application(name, true)!;
    for (const old of app.sinks) old.send({ type: "ApplicationReplaced", timestamp: ariTime(this.core.clock.now()), application: name });
    app.sinks.clear();
    app.sinks.add(sink);
    if (subscribeAll) app.subscribeAll = true;
  }

  detach(name: string, sink: EventSink): void {
    const app = this.apps.get(name);
    if (!app) return;
    app.sinks.delete(sink);
    if (app.sinks.size === 0) { app.subscribeAll = false; }
  }

  /** Deliver one event to an application's sockets (filtered as it asked). */
  deliver(appName: string, event: AriEvent): void {
    const app = this.apps.get(appName);
    if (!app || app.sinks.size === 0) { this.stats.dropped++; return; }
    if (app.allowed.length && !app.allowed.some((f) => f.type === event.type)) return;
    if (app.disallowed.some((f) => f.type === event.type)) return;
    this.stats.delivered++;
    for (const sink of app.sinks) sink.send(event);
  }

  /**
   * Orders events made here after the log's events of what came before them (index.ts
   * sets it): without it a PlaybackStarted could overtake the ChannelStateChange of the
   * answer that preceded the play, whose record is still on its way to the log.
   */
  sequencer: (deliver: () => void) => void = (deliver) => deliver();

  /** An event made here (playbacks, DTMF, recordings, user events) rather than from the log. */
  emit(apps: Iterable<string>, type: string, fields: Record<string, unknown>): void {
    const timestamp = ariTime(this.core.clock.now());
    const targets = [...new Set(apps)];
    this.sequencer(() => { for (const app of targets) this.deliver(app, { type, timestamp, ...fields, application: app }); });
  }

  /** Applications that hear of a channel: its Stasis application and subscribers. */
  appsOfChannel(uniqueid: string): string[] {
    const apps = new Set<string>(this.channel(uniqueid));
    const s = this.inStasis.get(uniqueid);
    if (s) apps.add(s.app);
    for (const a of this.all()) apps.add(a);
    return [...apps];
  }

  /**
   * The applications that hear of something started on a channel now (a playback, a
   * recording) until it ends: those that hear of the channel now, and any that do later.
   * A channel that hangs up leaves its application at once, but the playback it had
   * running finishes (and a recording is closed) after that: its application still
   * hears PlaybackFinished and RecordingFinished.
   */
  appsOfChannelFromNow(uniqueid: string): () => string[] {
    const now = this.appsOfChannel(uniqueid);
    return () => [...new Set([...now, ...this.appsOfChannel(uniqueid)])];
  }

  /** A channel is gone: no application stays subscribed to it (bounded state). */
  forgetChannel(uniqueid: string): void {
    for (const app of this.apps.values()) app.channels.delete(uniqueid);
    this.created.delete(uniqueid);
    this.muted.delete(uniqueid);
  }

  forgetBridge(bridgeId: string): void {
    for (const app of this.apps.values()) app.bridges.delete(bridgeId);
    this.bridges.delete(bridgeId);
  }

  // ---- Subscriptions (events.ts) ---------------------------------------------------

  channel(uniqueid: string): readonly string[] {
    const out: string[] = [];
    for (const app of this.apps.values()) if (app.channels.has(uniqueid)) out.push(app.name);
    return out;
  }

  bridge(bridgeId: string): readonly string[] {
    const out: string[] = [];
    for (const app of this.apps.values()) if (app.bridges.has(bridgeId)) out.push(app.name);
    return out;
  }

  endpoint(technology: string, resource: string): readonly string[] {
    const out: string[] = [];
    for (const app of this.apps.values()) if (app.endpoints.has(`${technology}/${resource}`) || app.endpoints.has(technology)) out.push(app.name);
    return out;
  }

  bridgeType(bridgeId: string): string | undefined { return this.bridges.get(bridgeId)?.type; }

  all(): readonly string[] {
    const out: string[] = [];
    for (const app of this.apps.values()) if (app.subscribeAll) out.push(app.name);
    return out;
  }

  // ---- Stasis() --------------------------------------------------------------------

  enter(dialplanChannel: DialplanChannel, appName: string, _args: readonly string[], signal?: AbortSignal): Promise<StasisExit> {
    const uniqueid = dialplanChannel.context().uniqueid;
    const channel = this.core.byUniqueid(uniqueid);
    const app = this.apps.get(appName);
    if (!channel || !app || app.sinks.size === 0) {
      this.logger.log("WARNING", "res_stasis.c", `Stasis app '${appName}' not registered`);
      return Promise.resolve({ status: "FAILED" });
    }
    return new Promise<StasisExit>((resolve) => {
      const onHangup = () => finish({ status: "KILLED" });
      const finish = (exit: StasisExit) => {
        if (this.inStasis.get(uniqueid)?.channel !== channel) return;
        this.inStasis.delete(uniqueid);
        channel.onHangup.delete(onHangup);
        if (channel.onDigit === digits) channel.onDigit = undefined;
        resolve(exit);
      };
      // DTMF in an application is the application's: each digit is an event, nothing else sees it.
      const digits = (digit: string) => {
        this.emit(this.appsOfChannel(uniqueid), "ChannelDtmfReceived", { digit, duration_ms: 100, channel: this.channelJson(channel) });
        for (const tap of this.digitTaps) tap(channel, digit);
        return true;
      };
      this.inStasis.set(uniqueid, { app: appName, channel, leave: finish });
      // A channel in an application has its media in Recall (as Asterisk's do): the caller's
      // session is opened now, so that answer, play and bridge find it ready and the REST
      // call that answers waits for no media worker. A bad offer fails again at the answer.
      if (channel.direction === "in" && channel.state() !== "up" && channel.remoteSdp && !channel.media) void channel.anchorMedia().catch(() => undefined);
      channel.onHangup.add(onHangup);
      channel.onDigit = digits;
      signal?.addEventListener("abort", () => finish({ status: "FAILED" }), { once: true });
      if (channel.hungUp) onHangup();
    });
  }

  /** The channel's application lets it go. */
  leave(uniqueid: string, exit: StasisExit): boolean {
    const s = this.inStasis.get(uniqueid);
    if (!s) return false;
    s.leave(exit);
    return true;
  }

  channelJson(channel: Channel): Record<string, unknown> {
    return channelView(channel);
  }
}

export function channelView(channel: Channel): Record<string, unknown> {
  return channelJson({ context: channel.context(), state: channel.state(), language: channel.language });
}
