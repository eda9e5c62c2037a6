/**
 * One manager session, whatever carries it: Login (plain or MD5 Challenge) against
 * manager.conf's users and their deny/permit, then actions (actions.ts) checked against
 * the user's write classes, and events filtered by the user's read classes, the
 * session's `Events:` mask and its event filters. A TCP connection (server.ts) and an
 * HTTP manager session (http-manager.ts, a cookie) are the two carriers: each says how
 * replies and events reach its client.
 *
 * Every action gets exactly one reply (an unknown one `Invalid/unknown command`, a
 * handler that throws `Action failed: ...`); actions run one after another, in order.
 */
import { createHash, randomInt } from "node:crypto";
import type { Logger } from "../../core/logger.js";
import { formatMessage, type AmiMessage } from "./message.js";
import type { AmiEvent } from "./events.js";
import { EventFilter } from "./filter.js";
import { parseClasses, type AmiClass } from "./classes.js";
import { userAllows, type ManagerUser } from "./config.js";
import { ACTIONS, type Fields } from "./actions.js";
import type { AmiServer } from "./server.js";

/** An event with its wire text made once for every session. */
export interface Outgoing { readonly event: AmiEvent; readonly text: string }

/** Asterisk 22's AMI version. */
export const AMI_VERSION = "11.0.0";

/** Longest WaitEvent (seconds) when the action asks for none or for forever (-1). */
const WAITEVENT_MAX = 3600;

let sessionCount = 0;

export abstract class ManagerSession {
  readonly id = ++sessionCount;
  user: ManagerUser | undefined;
  /** Follows the log on its own (ResumeFrom): the shared feed skips it. */
  resuming = false;
  private challenge: string | undefined;
  private mask = new Set<AmiClass>();
  /** The mask as viewKey shows it, made when the mask changes (the fan-out asks for it per session per write). */
  private maskKey = "";
  private readonly filter = new EventFilter();
  /** A WaitEvent waiting for the next event (at most one per session: a new one ends the last). */
  private waiting: (() => void) | undefined;

  constructor(protected readonly server: AmiServer, readonly ip: string, private readonly kind: "" | "HTTP ") {}

  protected get logger(): Logger { return this.server.deps.logger; }

  /** The reply to an action, with its ActionID (the transport writes it to its client). */
  protected abstract write(text: string): void;
  /** Event text for this session's client (live now, or queued for its next WaitEvent over HTTP). */
  protected abstract writeEvent(text: string | Buffer): void;
  /** Logoff: end the session once its reply is out. */
  protected abstract logoff(): void;
  /** ResumeFrom: follow the log from an offset (TCP only). */
  protected resume(_from: number): void { /* not for this carrier */ }
  abstract get gone(): boolean;
  abstract end(): void;

  reply(actionId: string | undefined, messages: Fields[]): void {
    let text = "";
    for (const m of messages) {
      const headers = actionId === undefined ? m : [m[0], ["ActionID", actionId] as [string, string], ...m.slice(1).filter(([k]) => k !== "ActionID")];
      text += formatMessage(headers);
    }
    this.write(text);
  }

  async action(m: AmiMessage): Promise<void> {
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
        this.logger.log("VERBOSE", "manager.c", `${this.kind}Manager '${this.user.name}' logged off from ${this.ip}`);
      }
      this.logoff();
      return;
    }
    const user = this.user;
    // Asterisk 22 answers an action before Login as it answers one the user may not do.
    if (!user) return fail("Permission denied");
    if (name === "waitevent") return this.waitEvent(m, id);
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
    this.loggedIn();
    this.setEvents(m.get("Events") ?? "on");
    for (const f of user.eventFilters) this.filter.add(f);
    if (user.displayConnects && this.server.deps.config.displayConnects) {
      this.logger.log("VERBOSE", "manager.c", `${this.kind}Manager '${username}' logged on from ${this.ip}`);
    }
    this.reply(id, [[["Response", "Success"], ["Message", "Authentication accepted"]]]);
    const uptime = Math.floor((this.server.deps.clock.now() - this.server.deps.startedAt) / 1e6);
    this.deliver(this.server.render({ name: "FullyBooted", classes: ["system"], headers: [["Uptime", String(uptime)], ["LastReload", String(uptime)], ["Status", "Fully Booted"]] }));
    const resume = m.get("ResumeFrom");
    if (resume !== undefined && /^\d+$/.test(resume.trim())) this.resume(Number(resume));
  }

  /** The carrier's part of a login (the TCP session stops its auth timer, the HTTP one joins the event feed). */
  protected loggedIn(): void { /* nothing by default */ }

  /**
   * WaitEvent: Success once an event is there for the session (at once when some wait
   * over HTTP), or when `Timeout` seconds pass, then WaitEventComplete. Over TCP the
   * events themselves arrive as they always do.
   */
  private async waitEvent(m: AmiMessage, id: string | undefined): Promise<void> {
    const asked = Number(m.get("Timeout") ?? "-1");
    const limit = this.waitLimit();
    const seconds = Number.isFinite(asked) && asked >= 0 ? Math.min(asked, limit) : limit;
    this.waiting?.();
    if (!this.hasEvents()) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, seconds * 1000);
        function done() { clearTimeout(timer); resolve(); }
        this.waiting = done;
      });
      this.waiting = undefined;
    }
    if (this.gone) return;
    this.reply(id, [[["Response", "Success"], ["Message", "Waiting for Event completed."]]]);
    this.flushEvents();
    this.reply(id, [[["Event", "WaitEventComplete"]]]);
  }

  /** The longest a WaitEvent may wait on this carrier, seconds. */
  protected waitLimit(): number { return WAITEVENT_MAX; }
  /** Whether events wait to be taken by WaitEvent (HTTP). */
  protected hasEvents(): boolean { return false; }
  /** Write the events WaitEvent takes (HTTP). */
  protected flushEvents(): void { /* TCP sends them as they come */ }
  /** An event reached the session: a waiting WaitEvent may answer. */
  protected eventArrived(): void { this.waiting?.(); }

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

  /** Events of the shared feed, already selected for this session's view. */
  send(bytes: Buffer): void { this.writeEvent(bytes); }

  protected wants(o: Outgoing): boolean {
    if (!o.event.classes.some((c) => this.mask.has(c))) return false;
    return this.filter.empty || this.filter.passes(o.text);
  }

  deliver(o: Outgoing): void {
    if (this.user && this.wants(o)) this.writeEvent(o.text);
  }

  /** The session ended: a WaitEvent still waiting answers now. */
  protected closedSession(): void { this.waiting?.(); }
}
