/**
 * The AMI server (manager.conf): TCP on bindaddr:port with Asterisk's greeting, and the
 * event feed every manager session takes its events from (a projection of the log,
 * events.ts). Login, actions and each session's event choice are session.ts's, shared
 * with the HTTP manager (http-manager.ts).
 *
 * Guarantees and bounds:
 * - Every client sees events in log order. A client may log in with `ResumeFrom: N`
 *   (a log offset, as every event's `RecallOffset:` header gives): it gets every event
 *   of the records from N on, then live ones, with nothing lost between the two (it
 *   follows the log itself instead of the shared feed).
 * - A client that does not read: once more than MAX_PENDING bytes wait for it, it is
 *   disconnected and logged; a resuming client is instead paced by its socket.
 * - Input: lines over 8 KiB or messages over 128 headers are answered with an error
 *   (message.ts); more than MAX_UNREAD bytes of an incomplete message disconnects.
 * - Logins: manager.conf authtimeout and authlimit; after FAILED_LOGINS failures from
 *   one address within a minute, its Logins are checked one a second.
 *   Failures are logged as Asterisk logs them (fail2ban's asterisk filter matches).
 */
import { createServer, type Server, type Socket } from "node:net";
import type { EventLog, Subscription } from "../../events/log.js";
import type { EventRecord } from "../../events/record.js";
import type { Logger } from "../../core/logger.js";
import type { Clock } from "../../core/clock.js";
import { AmiReader, formatMessage } from "./message.js";
import { AmiEventProjection, type AmiEvent, type HintView } from "./events.js";
import { privilegeHeader, type AmiClass } from "./classes.js";
import type { ManagerConfig } from "./config.js";
import type { Fields } from "./actions.js";
import type { Pbx } from "./pbx.js";
import { AMI_VERSION, ManagerSession, type Outgoing } from "./session.js";

export { AMI_VERSION } from "./session.js";
const MAX_PENDING = 4 * 1024 * 1024;
const MAX_UNREAD = 64 * 1024;
const FAILED_LOGINS = 5;
/** Events sent to the sessions before the feed lets the event loop turn. */
const SLICE = 256;
/**
 * Log events wait at most this long (ms) to go out with the next ones. Each group commit
 * brings a few events; with a hundred clients, a write per client per commit costs more
 * than the events themselves, so under load the writes are paced (a lone event goes at once).
 */
const COALESCE_MS = 4;
const THROTTLE_WINDOW_US = 60e6;

export interface AmiServerDeps {
  readonly config: ManagerConfig;
  readonly log: EventLog;
  /** Transitions the actors made that the log has not been given yet (ActorRuntime.unappended). */
  readonly unappended?: () => number;
  readonly pbx: Pbx;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly version: string;
  readonly startedAt: number;
  /** CEL and Cdr events (cel.conf [manager], cdr_manager.conf). */
  readonly projection?: { readonly cel?: boolean; readonly cdr?: boolean; readonly hints?: () => readonly HintView[] };
  /** Bytes that may wait for a client that does not read before it is dropped (default 4 MiB). */
  readonly maxPending?: number;
}

function render(event: AmiEvent, timestamps: boolean): Outgoing {
  const headers: Fields = [["Event", event.name], ["Privilege", privilegeHeader(event.classes)]];
  if (timestamps && event.time !== undefined) headers.push(["Timestamp", (event.time / 1e6).toFixed(6)]);
  for (const [k, v] of event.headers) headers.push([k, v]);
  if (event.offset !== undefined) headers.push(["RecallOffset", String(event.offset)]);
  return { event, text: formatMessage(headers) };
}

export class AmiServer {
  private readonly sessions = new Set<ManagerSession>();
  private server: Server | undefined;
  private feed: Subscription | undefined;
  private readonly failures = new Map<string, number[]>();
  /** When the next Login of a throttled address may be checked (µs). */
  private readonly nextSlot = new Map<string, number>();
  private readonly throttled = new Set<string>();
  /** Offset from which the shared feed sends events (earlier records only build the fold). */
  private liveFrom = 0;
  /** Offset of the next record the shared feed will fold. */
  private position = 0;
  /**
   * Events not in the log (OriginateResponse, UserEvent) wait until the feed has sent
   * every record appended before them, so a client sees them after what caused them.
   */
  private held: { at: number; out: Outgoing }[] = [];
  /** Log events waiting for the next paced write (COALESCE_MS), and when the last one went. */
  private outbox: Outgoing[] = [];
  private outboxTimer: NodeJS.Timeout | undefined;
  private lastWrite = 0;

  constructor(readonly deps: AmiServerDeps) {}

  render(event: AmiEvent): Outgoing { return render(event, this.deps.config.timestampEvents); }

  get port(): number { const a = this.server?.address(); return typeof a === "object" && a ? a.port : 0; }

  async start(): Promise<void> {
    const { config } = this.deps;
    this.liveFrom = this.deps.log.nextOffset;
    const projection = new AmiEventProjection(this.deps.projection);
    this.server = createServer((socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      this.server!.once("error", reject);
      this.server!.listen(config.port, config.bindaddr, () => resolve());
    });
    // The fold starts at 0 so live events know the channels, bridges and contacts that came before.
    // A large batch (a backlog) is sent in slices with a turn of the event loop between them, so
    // sockets drain as it goes and a client that reads is not taken for one that does not.
    this.feed = this.deps.log.subscribe(0, async (batch) => {
      let pending: Outgoing[] = [];
      for (const r of batch) {
        const events = this.project(projection, r);
        this.position = r.offset + 1;
        if (r.offset >= this.liveFrom && this.sessions.size) for (const e of events) pending.push(this.render(e));
        if (this.held.length && this.held[0].at <= this.position) { this.fanOut(pending); pending = []; this.release(); }
        if (pending.length >= SLICE) { this.fanOut(pending); pending = []; await new Promise<void>((resolve) => setImmediate(resolve)); }
      }
      this.fanOut(pending);
    });
    this.deps.logger.log("VERBOSE", "manager.c", `Manager registered listening on ${config.bindaddr}:${this.port}`);
  }

  /** Log events for the sessions: written now, or with the next paced write (COALESCE_MS). */
  private fanOut(outs: readonly Outgoing[]): void {
    if (!outs.length) return;
    for (const o of outs) this.outbox.push(o);
    if (this.outboxTimer) return;
    const wait = this.lastWrite + COALESCE_MS - performance.now();
    if (wait <= 0) this.writeOutbox();
    else this.outboxTimer = setTimeout(() => this.writeOutbox(), wait);
  }

  /**
   * The waiting log events to every logged-in session that is not resuming. Sessions that
   * want the same events (same classes, no filters of their own) share one text, encoded
   * once and written with one call each: with a hundred dashboards that is a hundred
   * writes per paced write, not a hundred per event.
   */
  private writeOutbox(): void {
    clearTimeout(this.outboxTimer);
    this.outboxTimer = undefined;
    const outs = this.outbox;
    if (!outs.length) return;
    this.outbox = [];
    this.lastWrite = performance.now();
    // One UTF-8 encoding per view, not one per session (a hundred dashboards share one Buffer).
    const texts = new Map<string, Buffer | null>();
    for (const s of this.sessions) {
      if (!s.user || s.resuming) continue;
      const key = s.viewKey;
      let bytes = texts.get(key);
      if (bytes === undefined) { const text = s.select(outs); bytes = text ? Buffer.from(text, "utf8") : null; texts.set(key, bytes); }
      if (bytes) s.send(bytes);
    }
  }

  /** A session of another carrier (the HTTP manager) gets events from its login until `detach`. */
  attach(session: ManagerSession): void { this.sessions.add(session); }
  detach(session: ManagerSession): void { this.sessions.delete(session); }

  /** An event that is not in the log, to every logged-in session that wants it (resuming ones too). */
  private broadcast(out: Outgoing): void {
    this.writeOutbox(); // after the log events before it
    for (const s of this.sessions) s.deliver(out);
  }

  /** An event that is not in the log (UserEvent, OriginateResponse, Shutdown). */
  emit(name: string, classes: readonly AmiClass[], headers: Fields): void {
    const at = this.deps.log.nextOffset + (this.deps.unappended?.() ?? 0);
    this.held.push({ at, out: this.render({ name, classes, headers, time: this.deps.clock.now() }) });
    this.release();
  }

  private release(): void {
    while (this.held.length && this.held[0].at <= this.position) this.broadcast(this.held.shift()!.out);
  }

  private accept(socket: Socket): void {
    const ip = socket.remoteAddress?.replace(/^::ffff:/, "") ?? "";
    let unauthenticated = 0;
    for (const s of this.sessions) if (!s.user) unauthenticated++;
    if (unauthenticated >= this.deps.config.authLimit) {
      this.deps.logger.log("WARNING", "manager.c", `${ip} rejected: more than ${this.deps.config.authLimit} unauthenticated sessions (authlimit)`);
      socket.destroy();
      return;
    }
    const session = new TcpSession(this, socket, ip);
    this.sessions.add(session);
    socket.on("close", () => { this.sessions.delete(session); session.closed(); });
  }

  /**
   * How long a Login from `ip` must wait before it is checked: nothing normally; after
   * FAILED_LOGINS failures within a minute, attempts from that address are checked one a
   * second (whatever the number of connections), so guessing is slow and the right
   * secret still gets in.
   */
  loginDelay(ip: string): number {
    const now = this.deps.clock.now();
    const recent = (this.failures.get(ip) ?? []).filter((t) => now - t < THROTTLE_WINDOW_US);
    this.failures.set(ip, recent);
    if (recent.length < FAILED_LOGINS) return 0;
    const slot = Math.max(now, this.nextSlot.get(ip) ?? 0);
    if (slot === now && !this.throttled.has(ip)) {
      this.throttled.add(ip);
      this.deps.logger.log("NOTICE", "manager.c", `${ip}: ${recent.length} failed logins within a minute; its logins are throttled to one a second`);
    }
    this.nextSlot.set(ip, slot + 1e6);
    return (slot - now) / 1000;
  }

  loginFailed(ip: string): void {
    const list = this.failures.get(ip) ?? [];
    list.push(this.deps.clock.now());
    if (list.length > FAILED_LOGINS * 4) list.splice(0, list.length - FAILED_LOGINS * 4);
    this.failures.set(ip, list);
    if (this.failures.size > 10_000) this.failures.delete(this.failures.keys().next().value!);
  }

  loginSucceeded(ip: string): void {
    this.failures.delete(ip);
    this.nextSlot.delete(ip);
    this.throttled.delete(ip);
  }

  /** A record's events; one the projection cannot read is reported with its offset and skipped, the feed goes on. */
  private project(projection: AmiEventProjection, r: EventRecord): AmiEvent[] {
    try {
      return projection.apply(r);
    } catch (e) {
      this.deps.logger.log("WARNING", "manager.c", `AMI events: offset ${r.offset} (${r.type} of ${r.stream}) not projected: ${(e as Error).message}`);
      return [];
    }
  }

  /**
   * A session's own follow of the log from `from` (ResumeFrom). It folds from the start of
   * the log, SLICE records per turn of the event loop, so a client catching up on a long
   * log does not stop the PBX while it reads.
   */
  follow(from: number, deliver: (events: Outgoing[]) => Promise<void>): Subscription {
    const projection = new AmiEventProjection(this.deps.projection);
    return this.deps.log.subscribe(0, async (batch: EventRecord[]) => {
      for (let i = 0; i < batch.length; i += SLICE) {
        if (i > 0) await new Promise<void>((resolve) => setImmediate(resolve));
        const out: Outgoing[] = [];
        for (const r of batch.slice(i, i + SLICE)) {
          const events = this.project(projection, r);
          if (r.offset >= from) for (const e of events) out.push(this.render(e));
        }
        if (out.length) await deliver(out);
      }
    });
  }

  async stop(): Promise<void> {
    for (const h of this.held.splice(0)) this.broadcast(h.out);
    this.broadcast(this.render({ name: "Shutdown", classes: ["system"], headers: [["Shutdown", "Cleanly"], ["Restart", "False"]] }));
    await this.feed?.close();
    for (const s of [...this.sessions]) s.end();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** A TCP connection's session: Asterisk's greeting, actions in the order they came, events as they happen. */
class TcpSession extends ManagerSession {
  private readonly reader = new AmiReader();
  private own: Subscription | undefined;
  private queue: Promise<void> = Promise.resolve();
  private readonly authTimer: NodeJS.Timeout;
  private closedFlag = false;
  private corked = false;

  constructor(server: AmiServer, private readonly socket: Socket, ip: string) {
    super(server, ip, "");
    socket.setEncoding("utf8");
    socket.setNoDelay(true);
    socket.write(`Asterisk Call Manager/${AMI_VERSION}\r\n`);
    socket.on("data", (chunk: string) => this.data(chunk));
    socket.on("error", () => socket.destroy());
    this.authTimer = setTimeout(() => { if (!this.user) this.end(); }, server.deps.config.authTimeout * 1000);
  }

  get gone(): boolean { return this.closedFlag; }

  private data(chunk: string): void {
    for (const r of this.reader.push(chunk)) {
      // Actions run one after another, in the order they came.
      this.queue = this.queue.then(() => ("message" in r
        ? this.action(r.message)
        : this.reply(undefined, [[["Response", "Error"], ["Message", `Message refused: ${r.oversized}`]]])))
        .catch((e: Error) => this.logger.log("ERROR", "manager.c", `Action from ${this.ip} failed: ${e.message}`));
    }
    if (this.reader.buffered > MAX_UNREAD) {
      this.logger.log("WARNING", "manager.c", `${this.ip} sent more than ${MAX_UNREAD} bytes without ending its action; disconnecting`);
      this.end();
    }
  }

  protected write(text: string | Buffer): void {
    if (this.closedFlag) return;
    const limit = this.server.deps.maxPending ?? MAX_PENDING;
    if (this.socket.writableLength > limit && !this.resuming) {
      this.logger.log("WARNING", "manager.c", `Manager '${this.user?.name ?? ""}' at ${this.ip} does not read its events (over ${limit} bytes waiting); disconnecting`);
      this.end();
      return;
    }
    // Writes of one turn of the event loop go out as one (a busy PBX sends many events per turn).
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => { this.corked = false; this.socket.uncork(); });
    }
    this.socket.write(text);
  }

  protected writeEvent(text: string | Buffer): void {
    this.write(text);
    this.eventArrived();
  }

  protected logoff(): void { this.socket.end(); }

  protected override loggedIn(): void { clearTimeout(this.authTimer); }

  /** Follow the log from `from` on this session's own subscription, paced by the socket. */
  protected override resume(from: number): void {
    this.resuming = true;
    this.own = this.server.follow(from, async (events) => {
      if (this.closedFlag) return;
      let text = "";
      for (const o of events) if (this.wants(o)) text += o.text;
      if (!text) return;
      if (!this.socket.write(text)) await new Promise<void>((r) => { this.socket.once("drain", r); this.socket.once("close", r); });
    });
  }

  end(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    this.closedSession();
    // A client that does not read would never take the rest: drop what waits for it.
    if (this.socket.writableLength > 0) this.socket.destroy();
    else { this.socket.end(); setTimeout(() => this.socket.destroy(), 1000).unref(); }
  }

  closed(): void {
    this.closedFlag = true;
    this.closedSession();
    clearTimeout(this.authTimer);
    void this.own?.close();
  }
}
