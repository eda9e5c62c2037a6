/**
 * The AMI server (manager.conf): TCP on bindaddr:port, Asterisk's greeting, Login
 * (plain or MD5 Challenge) against manager.conf's users and their deny/permit, then
 * actions (actions.ts) checked against the user's write classes, and events (a
 * projection of the log, events.ts) filtered by the user's read classes, the
 * session's `Events:` mask and the event filters.
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
import { createHash, randomInt } from "node:crypto";
import type { EventLog, Subscription } from "../../events/log.js";
import type { EventRecord } from "../../events/record.js";
import type { Logger } from "../../core/logger.js";
import type { Clock } from "../../core/clock.js";
import { AmiReader, formatMessage, type AmiMessage } from "./message.js";
import { AmiEventProjection, type AmiEvent, type HintView } from "./events.js";
import { EventFilter } from "./filter.js";
import { parseClasses, privilegeHeader, type AmiClass } from "./classes.js";
import { userAllows, type ManagerConfig, type ManagerUser } from "./config.js";
import { ACTIONS, type Fields } from "./actions.js";
import type { Pbx } from "./pbx.js";

/** Asterisk 22's AMI version. */
export const AMI_VERSION = "11.0.0";
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

/** An event with its wire text made once for every session. */
interface Outgoing { readonly event: AmiEvent; readonly text: string }

function render(event: AmiEvent, timestamps: boolean): Outgoing {
  const headers: Fields = [["Event", event.name], ["Privilege", privilegeHeader(event.classes)]];
  if (timestamps && event.time !== undefined) headers.push(["Timestamp", (event.time / 1e6).toFixed(6)]);
  for (const [k, v] of event.headers) headers.push([k, v]);
  if (event.offset !== undefined) headers.push(["RecallOffset", String(event.offset)]);
  return { event, text: formatMessage(headers) };
}

export class AmiServer {
  private readonly sessions = new Set<AmiSession>();
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
    const unauthenticated = [...this.sessions].filter((s) => !s.user).length;
    if (unauthenticated >= this.deps.config.authLimit) {
      this.deps.logger.log("WARNING", "manager.c", `${ip} rejected: more than ${this.deps.config.authLimit} unauthenticated sessions (authlimit)`);
      socket.destroy();
      return;
    }
    const session = new AmiSession(this, socket, ip);
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

let sessionCount = 0;

class AmiSession {
  readonly id = ++sessionCount;
  user: ManagerUser | undefined;
  resuming = false;
  private readonly reader = new AmiReader();
  private challenge: string | undefined;
  private mask = new Set<AmiClass>();
  private maskKey = "";
  private readonly filter = new EventFilter();
  private own: Subscription | undefined;
  private queue: Promise<void> = Promise.resolve();
  private readonly authTimer: NodeJS.Timeout;
  private gone = false;

  constructor(private readonly server: AmiServer, private readonly socket: Socket, private readonly ip: string) {
    socket.setEncoding("utf8");
    socket.setNoDelay(true);
    socket.write(`Asterisk Call Manager/${AMI_VERSION}\r\n`);
    socket.on("data", (chunk: string) => this.data(chunk));
    socket.on("error", () => socket.destroy());
    this.authTimer = setTimeout(() => { if (!this.user) this.end(); }, server.deps.config.authTimeout * 1000);
  }

  private get logger(): Logger { return this.server.deps.logger; }

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

  private write(text: string | Buffer): void {
    if (this.gone) return;
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

  private corked = false;

  private reply(actionId: string | undefined, messages: Fields[]): void {
    let text = "";
    for (const m of messages) {
      const headers = actionId === undefined ? m : [m[0], ["ActionID", actionId] as [string, string], ...m.slice(1).filter(([k]) => k !== "ActionID")];
      text += formatMessage(headers);
    }
    this.write(text);
  }

  private async action(m: AmiMessage): Promise<void> {
    if (this.gone) return;
    const name = (m.get("Action") ?? "").toLowerCase();
    const id = m.get("ActionID");
    const fail = (message: string) => this.reply(id, [[["Response", "Error"], ["Message", message]]]);
    if (!name) return fail("Missing action in request");
    if (name === "login") {
      const wait = this.server.loginDelay(this.ip);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (this.gone) return;
      return this.login(m, id);
    }
    if (name === "challenge") {
      if ((m.get("AuthType") ?? "").toLowerCase() !== "md5") return fail("Must specify AuthType");
      this.challenge ??= String(randomInt(100_000_000, 999_999_999));
      return this.reply(id, [[["Response", "Success"], ["Challenge", this.challenge]]]);
    }
    if (name === "logoff") {
      this.reply(id, [[["Response", "Goodbye"], ["Message", "Thanks for all the fish."]]]);
      if (this.user && this.user.displayConnects && this.server.deps.config.displayConnects) {
        this.logger.log("VERBOSE", "manager.c", `Manager '${this.user.name}' logged off from ${this.ip}`);
      }
      this.socket.end();
      return;
    }
    const user = this.user;
    // Asterisk 22 answers an action before Login as it answers one the user may not do.
    if (!user) return fail("Permission denied");
    const def = ACTIONS[name];
    if (!def) return fail("Invalid/unknown command");
    if (def.write.length && !def.write.some((c) => user.write.has(c))) return fail("Permission denied");
    const { deps } = this.server;
    try {
      const messages = await def.handler({
        message: m, pbx: deps.pbx, user: user.name, startedAt: deps.startedAt, reloadedAt: deps.startedAt,
        now: () => deps.clock.now(), version: deps.version, amiVersion: AMI_VERSION,
        session: { setEvents: (mask) => this.setEvents(mask), addFilter: (f) => this.filter.add(f) },
        broadcast: (event, classes, headers) => this.server.emit(event, classes, headers),
      });
      this.reply(id, messages);
    } catch (e) {
      fail(`Action failed: ${(e as Error).message}`);
    }
  }

  private login(m: AmiMessage, id: string | undefined): void {
    const fail = (message: string) => this.reply(id, [[["Response", "Error"], ["Message", message]]]);
    if (this.user) return this.reply(id, [[["Response", "Success"], ["Message", "Already authenticated"]]]);
    const username = m.get("Username") ?? "";
    const user = this.server.deps.config.users.get(username);
    const refuse = (line: string) => {
      this.server.loginFailed(this.ip);
      this.logger.log("NOTICE", "manager.c", line);
      fail("Authentication failed");
    };
    if (!user) return refuse(`${this.ip} tried to authenticate with nonexistent user '${username}'`);
    if (!userAllows(user, this.ip)) return refuse(`${this.ip} failed to pass IP ACL as '${username}'`);
    const authType = (m.get("AuthType") ?? "").toLowerCase();
    const good = authType === "md5"
      ? this.challenge !== undefined && (m.get("Key") ?? "").toLowerCase() === createHash("md5").update(this.challenge + user.secret).digest("hex")
      : (m.get("Secret") ?? "") === user.secret;
    if (!good) return refuse(`${this.ip} failed to authenticate as '${username}'`);
    this.user = user;
    this.server.loginSucceeded(this.ip);
    clearTimeout(this.authTimer);
    this.setEvents(m.get("Events") ?? "on");
    for (const f of user.eventFilters) this.filter.add(f);
    if (user.displayConnects && this.server.deps.config.displayConnects) {
      this.logger.log("VERBOSE", "manager.c", `Manager '${username}' logged on from ${this.ip}`);
    }
    this.reply(id, [[["Response", "Success"], ["Message", "Authentication accepted"]]]);
    const uptime = Math.floor((this.server.deps.clock.now() - this.server.deps.startedAt) / 1e6);
    this.deliver(this.server.render({ name: "FullyBooted", classes: ["system"], headers: [["Uptime", String(uptime)], ["LastReload", String(uptime)], ["Status", "Fully Booted"]] }));
    const resume = m.get("ResumeFrom");
    if (resume !== undefined && /^\d+$/.test(resume.trim())) this.resume(Number(resume));
  }

  /** Follow the log from `from` on this session's own subscription, paced by the socket. */
  private resume(from: number): void {
    this.resuming = true;
    this.own = this.server.follow(from, async (events) => {
      if (this.gone) return;
      let text = "";
      for (const o of events) if (this.wants(o)) text += o.text;
      if (!text) return;
      if (!this.socket.write(text)) await new Promise<void>((r) => { this.socket.once("drain", r); this.socket.once("close", r); });
    });
  }

  /** `Events: on|off|system,call,...` → the mask; returns "On" or "Off" as Asterisk answers. */
  private setEvents(mask: string): string {
    const v = mask.trim().toLowerCase();
    const user = this.user;
    const allowed = (c: AmiClass) => user?.read.has(c) ?? false;
    if (["on", "yes", "true", "1"].includes(v)) this.mask = new Set([...(user?.read ?? [])]);
    else if (["off", "no", "false", "0", ""].includes(v)) this.mask = new Set();
    else this.mask = new Set([...parseClasses(v).classes].filter(allowed));
    this.maskKey = [...this.mask].sort().join(",");
    return this.mask.size ? "On" : "Off";
  }

  /** Sessions with the same key want the same events (filters make a session's key its own). */
  get viewKey(): string {
    return this.filter.empty ? this.maskKey : `#${this.id}`;
  }

  /** The text of the events this session wants, in order. */
  select(outs: readonly Outgoing[]): string {
    let text = "";
    for (const o of outs) if (this.wants(o)) text += o.text;
    return text;
  }

  send(bytes: Buffer): void { this.write(bytes); }

  private wants(o: Outgoing): boolean {
    if (!o.event.classes.some((c) => this.mask.has(c))) return false;
    return this.filter.empty || this.filter.passes(o.text);
  }

  deliver(o: Outgoing): void {
    if (this.user && this.wants(o)) this.write(o.text);
  }

  end(): void {
    if (this.gone) return;
    this.gone = true;
    // A client that does not read would never take the rest: drop what waits for it.
    if (this.socket.writableLength > 0) this.socket.destroy();
    else { this.socket.end(); setTimeout(() => this.socket.destroy(), 1000).unref(); }
  }

  closed(): void {
    this.gone = true;
    clearTimeout(this.authTimer);
    void this.own?.close();
  }
}
