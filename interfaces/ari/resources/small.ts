/**
 * The small resource families: /asterisk (info, ping, global variables), /endpoints,
 * /playbacks, /applications, /sounds, /deviceStates (application-controlled `Stasis:`
 * states), /events/user. Each answers as ARI 22 documents it.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { extname, join, relative } from "node:path";
import { AriError, noContent, ok, type Operation, type Param, type ResourceFamily } from "../rest.js";
import type { AriContext } from "../context.js";
import { ariTime } from "../json.js";
import { channelView } from "../stasis.js";
import { bridgeView } from "./bridges.js";

const p = (name: string): Param => ({ name, paramType: "path", dataType: "string", required: true });
const q = (name: string, extra: Partial<Param> = {}): Param => ({ name, paramType: "query", dataType: "string", ...extra });

export function asteriskResource(ctx: AriContext): ResourceFamily {
  const globals = ctx.globals ?? new Map<string, string>();
  const operations: Operation[] = [
    { method: "GET", path: "/asterisk/info", nickname: "getInfo", summary: "Gets Asterisk system information.", responseClass: "AsteriskInfo",
      params: [q("only", { allowMultiple: true, allowed: ["build", "system", "config", "status"] })],
      handler: ({ params }) => {
        const all: Record<string, unknown> = {
          build: { os: process.platform, kernel: "", machine: process.arch, options: "", date: "", user: "" },
          system: { version: ctx.version, entity_id: ctx.systemName },
          config: { name: ctx.systemName, default_language: "en", setid: { user: "", group: "" } },
          status: { startup_time: ariTime(ctx.startedAt), last_reload_time: ariTime(ctx.startedAt) },
        };
        const only = params.only as string[] | undefined;
        return ok(only ? Object.fromEntries(only.map((k) => [k, all[k]])) : all);
      } },
    { method: "GET", path: "/asterisk/ping", nickname: "ping", summary: "Response pong message.", responseClass: "AsteriskPing", params: [],
      handler: () => ok({ asterisk_id: ctx.systemName, ping: "pong", timestamp: ariTime(ctx.core.clock.now()) }) },
    { method: "GET", path: "/asterisk/variable", nickname: "getGlobalVar", summary: "Get the value of a global variable.", responseClass: "Variable",
      params: [q("variable", { required: true })],
      handler: ({ params }) => ok({ value: globals.get(params.variable as string) ?? "" }) },
    { method: "POST", path: "/asterisk/variable", nickname: "setGlobalVar", summary: "Set the value of a global variable.", responseClass: "void",
      params: [q("variable", { required: true }), q("value")],
      handler: ({ params }) => { globals.set(params.variable as string, (params.value as string | undefined) ?? ""); return noContent; } },
  ];
  return { name: "asterisk", description: "Asterisk resources", operations };
}

function endpointJson(ctx: AriContext, e: { technology: string; resource: string; state: string }) {
  const prefix = `${e.technology}/${e.resource}-`;
  return { technology: e.technology, resource: e.resource, state: e.state, channel_ids: ctx.core.list().filter((c) => !c.hungUp && c.name.startsWith(prefix)).map((c) => c.context().uniqueid) };
}

export function endpointsResource(ctx: AriContext): ResourceFamily {
  const operations: Operation[] = [
    { method: "GET", path: "/endpoints", nickname: "list", summary: "List all endpoints.", responseClass: "List[Endpoint]", params: [],
      handler: () => ok(ctx.endpoints().map((e) => endpointJson(ctx, e))) },
    { method: "PUT", path: "/endpoints/sendMessage", nickname: "sendMessage", summary: "Send a message to some technology URI or endpoint.", responseClass: "void",
      params: [q("to", { required: true }), q("from", { required: true }), q("body"), { name: "variables", paramType: "body", dataType: "containers" }],
      handler: async ({ params }) => {
        if (!ctx.sendMessage) throw new AriError(501, "Messaging is not available");
        await ctx.sendMessage(params.to as string, params.from as string, (params.body as string | undefined) ?? "", (params.variables ?? {}) as Record<string, string>)
          .catch((e: Error) => { throw new AriError(404, `Endpoint not found: ${e.message}`); });
        return { status: 202 };
      } },
    { method: "GET", path: "/endpoints/{tech}", nickname: "listByTech", summary: "List available endoints for a given endpoint technology.", responseClass: "List[Endpoint]", params: [p("tech")],
      handler: ({ params }) => {
        const list = ctx.endpoints().filter((e) => e.technology.toLowerCase() === (params.tech as string).toLowerCase());
        if (list.length === 0 && !ctx.core.driver(params.tech as string)) throw new AriError(404, "Endpoints not found");
        return ok(list.map((e) => endpointJson(ctx, e)));
      } },
    { method: "GET", path: "/endpoints/{tech}/{resource}", nickname: "get", summary: "Details for an endpoint.", responseClass: "Endpoint", params: [p("tech"), p("resource")],
      handler: ({ params }) => {
        const e = ctx.endpoints().find((x) => x.technology.toLowerCase() === (params.tech as string).toLowerCase() && x.resource === params.resource);
        if (!e) throw new AriError(404, "Endpoint not found");
        return ok(endpointJson(ctx, e));
      } },
  ];
  return { name: "endpoints", description: "Endpoint resources", operations };
}

export function playbacksResource(ctx: AriContext): ResourceFamily {
  const get = (id: string) => {
    const pb = ctx.stasis.playbacks.get(id);
    if (!pb) throw new AriError(404, "The playback cannot be found");
    return pb;
  };
  const operations: Operation[] = [
    { method: "GET", path: "/playbacks/{playbackId}", nickname: "get", summary: "Get a playback's details.", responseClass: "Playback", params: [p("playbackId")],
      handler: ({ params }) => ok(get(params.playbackId as string).json()) },
    { method: "DELETE", path: "/playbacks/{playbackId}", nickname: "stop", summary: "Stop a playback.", responseClass: "void", params: [p("playbackId")],
      handler: ({ params }) => { get(params.playbackId as string).stop(); return noContent; } },
    { method: "POST", path: "/playbacks/{playbackId}/control", nickname: "control", summary: "Control a playback.", responseClass: "void",
      params: [p("playbackId"), q("operation", { required: true, allowed: ["restart", "pause", "unpause", "reverse", "forward"] })],
      handler: ({ params }) => {
        const pb = get(params.playbackId as string);
        if (pb.state !== "playing" && pb.state !== "continuing") throw new AriError(409, "The playback is in a state that does not allow this operation");
        if (params.operation !== "restart") throw new AriError(501, `operation ${params.operation} is not implemented`);
        pb.restart();
        return noContent;
      } },
  ];
  return { name: "playbacks", description: "Playback control resources", operations };
}

function appJson(ctx: AriContext, name: string) {
  const app = ctx.stasis.apps.get(name);
  if (!app) throw new AriError(404, "Application does not exist");
  const inStasis = [...ctx.stasis.inStasis].filter(([, s]) => s.app === name).map(([id]) => id);
  return {
    name, channel_ids: [...new Set([...app.channels, ...inStasis])].filter((id) => ctx.core.byUniqueid(id)),
    bridge_ids: [...app.bridges].filter((id) => ctx.stasis.bridges.has(id)), endpoint_ids: [...app.endpoints], device_names: [...app.devices],
    events_allowed: app.allowed, events_disallowed: app.disallowed,
  };
}

export function applicationsResource(ctx: AriContext): ResourceFamily {
  const subscription = (subscribe: boolean) => ({ params }: { params: Record<string, unknown> }) => {
    const app = ctx.stasis.apps.get(params.applicationName as string);
    if (!app) throw new AriError(404, "Application does not exist");
    const sources = params.eventSource as string[];
    for (const source of sources) {
      const colon = source.indexOf(":");
      const scheme = source.slice(0, colon), id = source.slice(colon + 1);
      if (colon <= 0 || id === "") throw new AriError(400, `eventSource: scheme:id, not "${source}"`);
      const set = scheme === "channel" ? app.channels : scheme === "bridge" ? app.bridges : scheme === "endpoint" ? app.endpoints : scheme === "deviceState" ? app.devices : undefined;
      if (!set) throw new AriError(400, `eventSource: channel:, bridge:, endpoint: or deviceState:, not "${scheme}:"`);
      if (subscribe) {
        if (scheme === "channel" && !ctx.core.byUniqueid(id)) throw new AriError(422, `Event source '${source}' does not exist`);
        if (scheme === "bridge" && !ctx.stasis.bridges.has(id)) throw new AriError(422, `Event source '${source}' does not exist`);
        set.add(id);
      } else {
        if (!set.has(id)) throw new AriError(409, `Application not subscribed to event source '${source}'`);
        set.delete(id);
      }
    }
    return ok(appJson(ctx, app.name));
  };
  const name = p("applicationName");
  const source = q("eventSource", { required: true, allowMultiple: true });
  const operations: Operation[] = [
    { method: "GET", path: "/applications", nickname: "list", summary: "List all applications.", responseClass: "List[Application]", params: [],
      handler: () => ok([...ctx.stasis.apps.keys()].filter((n) => ctx.stasis.apps.get(n)!.sinks.size > 0).map((n) => appJson(ctx, n))) },
    { method: "GET", path: "/applications/{applicationName}", nickname: "get", summary: "Get details of an application.", responseClass: "Application", params: [name],
      handler: ({ params }) => ok(appJson(ctx, params.applicationName as string)) },
    { method: "POST", path: "/applications/{applicationName}/subscription", nickname: "subscribe", summary: "Subscribe an application to an event source.", responseClass: "Application", params: [name, source], handler: subscription(true) },
    { method: "DELETE", path: "/applications/{applicationName}/subscription", nickname: "unsubscribe", summary: "Unsubscribe an application from an event source.", responseClass: "Application", params: [name, source], handler: subscription(false) },
    { method: "PUT", path: "/applications/{applicationName}/eventFilter", nickname: "filter", summary: "Filter application events types.", responseClass: "Application",
      params: [name, { name: "filter", paramType: "body", dataType: "object" }],
      handler: ({ params }) => {
        const app = ctx.stasis.apps.get(params.applicationName as string);
        if (!app) throw new AriError(404, "Application does not exist");
        const f = (params.filter ?? {}) as { allowed?: unknown; disallowed?: unknown };
        const list = (v: unknown, key: string) => {
          if (v === undefined) return [];
          if (!Array.isArray(v) || v.some((x) => !x || typeof x !== "object" || typeof (x as { type?: unknown }).type !== "string")) throw new AriError(400, `filter: ${key} is a list of {"type": "EventName"}`);
          return (v as { type: string }[]).map((x) => ({ type: x.type }));
        };
        app.allowed = list(f.allowed, "allowed");
        app.disallowed = list(f.disallowed, "disallowed");
        return ok(appJson(ctx, app.name));
      } },
  ];
  return { name: "applications", description: "Stasis application resources", operations };
}

/** Sounds under the sounds directory: `en/hello-world.wav` is `hello-world` in en, format wav. */
function listSounds(dir: string): Map<string, { lang: string; format: string }[]> {
  const sounds = new Map<string, { lang: string; format: string }[]>();
  if (!existsSync(dir)) return sounds;
  for (const lang of readdirSync(dir)) {
    const root = join(dir, lang);
    if (!statSync(root).isDirectory()) continue;
    const walk = (d: string, depth: number) => {
      for (const f of readdirSync(d)) {
        const full = join(d, f);
        const st = statSync(full);
        if (st.isDirectory()) { if (depth < 3) walk(full, depth + 1); continue; }
        const ext = extname(f);
        const id = relative(root, full).slice(0, -ext.length);
        sounds.set(id, [...(sounds.get(id) ?? []), { lang, format: ext.slice(1) }]);
      }
    };
    walk(root, 0);
  }
  return sounds;
}

export function soundsResource(ctx: AriContext): ResourceFamily {
  let cache: Map<string, { lang: string; format: string }[]> | undefined;
  const sounds = () => (cache ??= listSounds(ctx.soundsDir));
  const json = (id: string, formats: { lang: string; format: string }[]) => ({ id, text: "", formats: formats.map((f) => ({ language: f.lang, format: f.format })) });
  const operations: Operation[] = [
    { method: "GET", path: "/sounds", nickname: "list", summary: "List all sounds.", responseClass: "List[Sound]", params: [q("lang"), q("format")],
      handler: ({ params }) => ok([...sounds()].map(([id, f]) => [id, f.filter((x) => (!params.lang || x.lang === params.lang) && (!params.format || x.format === params.format))] as const)
        .filter(([, f]) => f.length > 0).map(([id, f]) => json(id, f))) },
    { method: "GET", path: "/sounds/{soundId}", nickname: "get", summary: "Get a sound's details.", responseClass: "Sound", params: [p("soundId")],
      handler: ({ params }) => {
        const f = sounds().get(params.soundId as string);
        if (!f) throw new AriError(404, "Sound not found");
        return ok(json(params.soundId as string, f));
      } },
  ];
  return { name: "sounds", description: "Sound resources", operations };
}

const DEVICE_STATES = ["NOT_INUSE", "INUSE", "BUSY", "INVALID", "UNAVAILABLE", "RINGING", "RINGINUSE", "ONHOLD"];

export function deviceStatesResource(ctx: AriContext): ResourceFamily {
  const states = new Map<string, string>();
  const name = p("deviceName");
  const stasisName = (n: string) => {
    if (!n.startsWith("Stasis:") || n.length === 7) throw new AriError(409, "Uncontrolled device specified");
    return n;
  };
  const operations: Operation[] = [
    { method: "GET", path: "/deviceStates", nickname: "list", summary: "List all ARI controlled device states.", responseClass: "List[DeviceState]", params: [],
      handler: () => ok([...states].map(([n, s]) => ({ name: n, state: s }))) },
    { method: "GET", path: "/deviceStates/{deviceName}", nickname: "get", summary: "Retrieve the current state of a device.", responseClass: "DeviceState", params: [name],
      handler: ({ params }) => ok({ name: params.deviceName, state: states.get(params.deviceName as string) ?? "UNKNOWN" }) },
    { method: "PUT", path: "/deviceStates/{deviceName}", nickname: "update", summary: "Change the state of a device controlled by ARI.", responseClass: "void",
      params: [name, q("deviceState", { required: true, allowed: DEVICE_STATES })],
      handler: ({ params }) => {
        const n = stasisName(params.deviceName as string);
        states.set(n, params.deviceState as string);
        const apps = [...ctx.stasis.apps.values()].filter((a) => a.subscribeAll || a.devices.has(n)).map((a) => a.name);
        ctx.stasis.emit(apps, "DeviceStateChanged", { device_state: { name: n, state: params.deviceState } });
        return noContent;
      } },
    { method: "DELETE", path: "/deviceStates/{deviceName}", nickname: "delete", summary: "Destroy a device-state controlled by ARI.", responseClass: "void", params: [name],
      handler: ({ params }) => {
        const n = stasisName(params.deviceName as string);
        if (!states.delete(n)) throw new AriError(404, "Device name is missing");
        return noContent;
      } },
  ];
  return { name: "deviceStates", description: "Device state resources", operations };
}

export function eventsResource(ctx: AriContext, models: ResourceFamily["models"]): ResourceFamily {
  const operations: Operation[] = [
    { method: "GET", path: "/events", nickname: "eventWebsocket", summary: "WebSocket connection for events.", responseClass: "Message",
      params: [q("app", { required: true, allowMultiple: true }), { name: "subscribeAll", paramType: "query", dataType: "boolean" }],
      handler: () => { throw new AriError(400, "A WebSocket upgrade is required"); } },
    { method: "POST", path: "/events/user/{eventName}", nickname: "userEvent", summary: "Generate a user event.", responseClass: "void",
      params: [p("eventName"), q("application", { required: true }), q("source", { allowMultiple: true }), { name: "variables", paramType: "body", dataType: "containers" }],
      handler: ({ params }) => {
        const app = params.application as string;
        if (!ctx.stasis.apps.get(app)?.sinks.size) throw new AriError(404, "Application does not exist");
        const fields: Record<string, unknown> = { eventname: params.eventName, userevent: ((params.variables as { variables?: unknown } | undefined)?.variables ?? params.variables ?? {}) };
        for (const source of (params.source as string[] | undefined) ?? []) {
          const [scheme, id = ""] = source.split(":");
          if (scheme === "channel") {
            const c = ctx.core.byUniqueid(id);
            if (!c) throw new AriError(422, `Event source '${source}' not found`);
            fields.channel = channelView(c);
          } else if (scheme === "bridge") {
            const b = ctx.stasis.bridges.get(id);
            if (!b) throw new AriError(422, `Event source '${source}' not found`);
            fields.bridge = bridgeView(ctx, b);
          } else throw new AriError(400, `source: channel: or bridge:, not "${source}"`);
        }
        ctx.stasis.emit([app], "ChannelUserevent", fields);
        return noContent;
      } },
  ];
  return { name: "events", description: "WebSocket resource", operations, ...(models ? { models } : {}) };
}


/** /mailboxes: mailbox states an application controls (message counts), kept in memory. */
export function mailboxesResource(): ResourceFamily {
  const boxes = new Map<string, { old_messages: number; new_messages: number }>();
  const name = p("mailboxName");
  const get = (n: string) => {
    const b = boxes.get(n);
    if (!b) throw new AriError(404, "Mailbox not found");
    return b;
  };
  const operations: Operation[] = [
    { method: "GET", path: "/mailboxes", nickname: "list", summary: "List all mailboxes.", responseClass: "List[Mailbox]", params: [],
      handler: () => ok([...boxes].map(([n, b]) => ({ name: n, ...b }))) },
    { method: "GET", path: "/mailboxes/{mailboxName}", nickname: "get", summary: "Retrieve the current state of a mailbox.", responseClass: "Mailbox", params: [name],
      handler: ({ params }) => ok({ name: params.mailboxName, ...get(params.mailboxName as string) }) },
    { method: "PUT", path: "/mailboxes/{mailboxName}", nickname: "update", summary: "Change the state of a mailbox.", responseClass: "void",
      params: [name, q("oldMessages", { dataType: "int", required: true }), q("newMessages", { dataType: "int", required: true })],
      handler: ({ params }) => {
        const o = params.oldMessages as number, n = params.newMessages as number;
        if (o < 0) throw new AriError(400, "oldMessages: 0 or more");
        if (n < 0) throw new AriError(400, "newMessages: 0 or more");
        boxes.set(params.mailboxName as string, { old_messages: o, new_messages: n });
        return noContent;
      } },
    { method: "DELETE", path: "/mailboxes/{mailboxName}", nickname: "delete", summary: "Destroy a mailbox.", responseClass: "void", params: [name],
      handler: ({ params }) => { get(params.mailboxName as string); boxes.delete(params.mailboxName as string); return noContent; } },
  ];
  return { name: "mailboxes", description: "Mailboxes", operations };
}
