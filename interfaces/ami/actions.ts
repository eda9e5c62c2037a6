/**
 * The AMI actions Recall answers, each with the write classes that allow it (any one
 * is enough; none means every logged-in user) and a handler that returns the reply:
 * a response and, for lists, its events and the `...Complete` event. The session
 * (server.ts) adds ActionID to each and writes them in order.
 */
import type { AmiClass } from "./classes.js";
import type { AmiMessage } from "./message.js";
import type { ChannelView, OriginateResult, Pbx } from "./pbx.js";
import { extensionStateName } from "../../calls/device-state.js";
import { channelFields } from "./events.js";
import { QUEUE_ACTIONS, QUEUE_DISPLAY } from "./queue-actions.js";

export type Fields = [string, string][];

export interface ActionContext {
  readonly message: AmiMessage;
  readonly pbx: Pbx;
  readonly user: string;
  readonly startedAt: number;
  readonly reloadedAt: number;
  readonly now: () => number;
  readonly version: string;
  readonly amiVersion: string;
  /** Session-level operations the session implements (Events, Filter). */
  readonly session: { setEvents(mask: string): string; addFilter(filter: string): string | undefined };
  /** Broadcast an event that is not in the log (UserEvent, OriginateResponse). */
  readonly broadcast: (name: string, classes: readonly AmiClass[], headers: Fields) => void;
}

export interface ActionDef {
  readonly write: readonly AmiClass[];
  readonly synopsis: string;
  readonly handler: (c: ActionContext) => Promise<Fields[]> | Fields[];
}

const ok = (...fields: Fields): Fields => [["Response", "Success"], ...fields];
const error = (message: string): Fields[] => [[["Response", "Error"], ["Message", message]]];

const STATE: Readonly<Record<string, readonly [number, string]>> = {
  down: [0, "Down"], reserved: [1, "Rsrvd"], dialing: [0, "Down"], ring: [4, "Ring"], ringing: [5, "Ringing"],
  progress: [5, "Ringing"], up: [6, "Up"], busy: [7, "Busy"], hungup: [0, "Down"],
};
const snapshot = (c: ChannelView, prefix = "") => channelFields({ ctx: c.ctx, state: STATE[c.state] ?? [0, "Down"] }, prefix);

function hms(seconds: number): string {
  const h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
  return [h, m, s].map((x) => String(x).padStart(2, "0")).join(":");
}

/** A list answer: the response, the items, then `<Name>Complete`. */
function list(message: string, items: Fields[], complete: string, extra: Fields = []): Fields[] {
  return [
    ok(["EventList", "start"], ["Message", message]),
    ...items,
    [["Event", complete], ["EventList", "Complete"], ["ListItems", String(items.length)], ...extra],
  ];
}

const date = (us: number) => new Date(Math.floor(us / 1000)).toISOString();

export const ACTIONS: Readonly<Record<string, ActionDef>> = {
  ...QUEUE_ACTIONS,
  ping: {
    write: [], synopsis: "Keepalive command.",
    handler: ({ now }) => [ok(["Ping", "Pong"], ["Timestamp", (now() / 1e6).toFixed(6)])],
  },
  events: {
    write: [], synopsis: "Control Event Flow.",
    handler: ({ message, session }) => [ok(["Events", session.setEvents(message.get("EventMask") ?? "off")])],
  },
  filter: {
    write: ["system"], synopsis: "Dynamically add filters for the current manager session.",
    handler: ({ message, session }) => {
      const op = (message.get("Operation") ?? "Add").toLowerCase();
      if (op !== "add") return error(`Unknown operation '${message.get("Operation")}'`);
      const problem = session.addFilter(message.get("Filter") ?? "");
      return problem ? error(`Filter Not Added: ${problem}`) : [ok(["Message", "Filter Added Successfully"])];
    },
  },
  listcommands: {
    write: [], synopsis: "List available manager commands.",
    handler: () => [ok(...Object.entries(ACTIONS).map(([name, a]) =>
      [DISPLAY[name] ?? name, `${a.synopsis} (Priv: ${a.write.length ? a.write.join(",") : "<none>"})`] as [string, string]),
    // The session answers these itself (session.ts).
    ["Login", "Login Manager. (Priv: <none>)"], ["Logoff", "Logoff Manager. (Priv: <none>)"],
    ["Challenge", "Generate Challenge for MD5 Auth. (Priv: <none>)"], ["WaitEvent", "Wait for an event to occur. (Priv: <none>)"])],
  },
  command: {
    write: ["command"], synopsis: "Execute Asterisk CLI Command.",
    handler: async ({ message, pbx }) => {
      const line = message.get("Command") ?? "";
      if (!line.trim()) return error("No command provided");
      const output = await pbx.command(line);
      const lines = output.replace(/\n$/, "").split("\n");
      return [[["Response", "Success"], ["Message", "Command output follows"], ...lines.map((l) => ["Output", l] as [string, string])]];
    },
  },
  corestatus: {
    write: ["system", "reporting"], synopsis: "Show PBX core status variables.",
    handler: ({ pbx, startedAt, reloadedAt }) => {
      const d = (us: number) => date(us).slice(0, 10), t = (us: number) => date(us).slice(11, 19);
      const calls = new Set(pbx.channels().map((c) => c.ctx.linkedid)).size;
      return [ok(["CoreStartupDate", d(startedAt)], ["CoreStartupTime", t(startedAt)], ["CoreReloadDate", d(reloadedAt)],
        ["CoreReloadTime", t(reloadedAt)], ["CoreCurrentCalls", String(calls)])];
    },
  },
  coresettings: {
    write: ["system", "reporting"], synopsis: "Show PBX core settings (version etc).",
    handler: ({ version, amiVersion }) => [ok(["AMIversion", amiVersion], ["AsteriskVersion", version], ["SystemName", ""],
      ["CoreMaxCalls", "0"], ["CoreMaxLoadAvg", "0.000000"], ["CoreRunUser", ""], ["CoreRunGroup", ""], ["CoreMaxFilehandles", "0"],
      ["CoreRealTimeEnabled", "No"], ["CoreCDRenabled", "Yes"], ["CoreHTTPenabled", "No"], ["SoundsSearchCustomDir", "No"])],
  },
  coreshowchannels: {
    write: ["system", "reporting"], synopsis: "List currently active channels.",
    handler: ({ pbx, now }) => list("Channels will follow", pbx.channels().map((c) => [
      ["Event", "CoreShowChannel"], ...snapshot(c), ["BridgeId", c.ctx.bridge ?? ""], ["Application", c.ctx.app], ["ApplicationData", c.ctx.appData],
      ["Duration", hms(Math.floor((now() - c.ctx.createdAt) / 1e6))],
    ]), "CoreShowChannelsComplete"),
  },
  status: {
    write: ["system", "call", "reporting"], synopsis: "List channel status.",
    handler: ({ message, pbx, now }) => {
      const name = message.get("Channel");
      const channels = name ? pbx.channels().filter((c) => c.ctx.name === name) : pbx.channels();
      if (name && !channels.length) return error("No such channel");
      const items = channels.map((c): Fields => [
        ["Event", "Status"], ...snapshot(c), ["Type", c.ctx.tech], ["DNID", c.ctx.dnid], ["EffectiveConnectedLineNum", c.ctx.connected.num || "<unknown>"],
        ["EffectiveConnectedLineName", c.ctx.connected.name || "<unknown>"], ["TimeToHangup", "0"], ["BridgeID", c.ctx.bridge ?? ""],
        ["Application", c.ctx.app], ["Data", c.ctx.appData], ["Nativeformats", "(ulaw|alaw)"], ["Readformat", "ulaw"], ["Readtrans", ""],
        ["Writeformat", "ulaw"], ["Writetrans", ""], ["Callgroup", "0"], ["Pickupgroup", "0"],
        ["Seconds", String(Math.floor((now() - c.ctx.createdAt) / 1e6))],
        ...(c.bridgedTo ? [["BridgedChannel", c.bridgedTo] as [string, string]] : []),
      ]);
      return list("Channel status will follow", items, "StatusComplete", [["Items", String(items.length)]]);
    },
  },
  hangup: {
    write: ["system", "call"], synopsis: "Hangup channel.",
    handler: ({ message, pbx }) => {
      const spec = message.get("Channel") ?? "";
      const cause = Number(message.get("Cause") ?? "16") || 16;
      if (!spec) return error("No channel specified");
      const names = spec.startsWith("/") && spec.endsWith("/") && spec.length > 1
        ? (() => { try { const re = new RegExp(spec.slice(1, -1)); return pbx.channels().map((c) => c.ctx.name).filter((n) => re.test(n)); } catch { return []; } })()
        : [spec];
      const done = names.filter((n) => pbx.hangup(n, cause));
      if (!done.length) return error("No such channel");
      return [ok(["Message", "Channel Hungup"])];
    },
  },
  getvar: {
    write: ["call", "reporting"], synopsis: "Gets a channel variable or function value.",
    handler: ({ message, pbx }) => {
      const variable = message.get("Variable");
      if (!variable) return error("No variable specified");
      const channel = message.get("Channel");
      if (!channel) return [ok(["Variable", variable], ["Value", pbx.getGlobal(variable)])];
      const value = pbx.getVar(channel, variable);
      if (value === undefined) return error("No such channel");
      return [ok(["Variable", variable], ["Value", value])];
    },
  },
  setvar: {
    write: ["call"], synopsis: "Sets a channel variable or function value.",
    handler: ({ message, pbx }) => {
      const variable = message.get("Variable"), channel = message.get("Channel");
      if (!variable) return error("No variable specified");
      if (!channel) { pbx.setGlobal(variable, message.get("Value") ?? ""); return [ok(["Message", "Variable Set"])]; }
      if (!pbx.setVar(channel, variable, message.get("Value") ?? "")) return error("No such channel");
      return [ok(["Message", "Variable Set"])];
    },
  },
  redirect: {
    write: ["call"], synopsis: "Redirect (transfer) a call.",
    handler: ({ message, pbx }) => {
      const channel = message.get("Channel");
      if (!channel) return error("Channel not specified");
      const exten = message.get("Exten");
      if (!exten) return error("Exten not specified");
      const position = (context: string | undefined, ex: string, priority: string | undefined) => ({
        context: context || pbx.channel(channel)?.ctx.context || "default", exten: ex, priority: Number(priority ?? "1") || 1,
      });
      const to = position(message.get("Context"), exten, message.get("Priority"));
      const extraName = message.get("ExtraChannel");
      const extra = extraName ? { name: extraName, to: position(message.get("ExtraContext") || to.context, message.get("ExtraExten") || exten, message.get("ExtraPriority") ?? String(to.priority)) } : undefined;
      const problem = pbx.redirect(channel, to, extra);
      if (problem) return error(problem);
      return [ok(["Message", extra ? "Dual Redirect successful" : "Redirect successful"])];
    },
  },
  bridge: {
    write: ["call"], synopsis: "Bridge two channels already in the PBX.",
    handler: ({ message, pbx }) => {
      const channel1 = message.get("Channel1"), channel2 = message.get("Channel2");
      if (!channel1 || !channel2) return error("Missing channel parameter in request");
      const t = (message.get("Tone") ?? "no").toLowerCase();
      // Asterisk 22: no, Channel1, Channel2, Both; a true value (the older form) is Channel2.
      const tone = t === "channel1" ? "Channel1" : t === "channel2" || /^(yes|true|on|1)$/.test(t) ? "Channel2" : t === "both" ? "Both" : "none";
      const problem = pbx.bridge(channel1, channel2, tone);
      return problem ? error(problem) : [ok(["Message", "Channels have been bridged"])];
    },
  },
  atxfer: {
    write: ["call"], synopsis: "Attended transfer.",
    handler: ({ message, pbx }) => {
      const channel = message.get("Channel");
      if (!channel) return error("No channel specified");
      const exten = message.get("Exten");
      if (!exten) return error("No extension specified");
      if (!pbx.channel(channel)) return error("Channel specified does not exist");
      const problem = pbx.atxfer(channel, exten, message.get("Context") || undefined);
      return problem ? error(problem) : [ok(["Message", "Atxfer successfully queued"])];
    },
  },
  blindtransfer: {
    write: ["call"], synopsis: "Blind transfer channel(s) to the given destination",
    handler: ({ message, pbx }) => {
      const channel = message.get("Channel");
      if (!channel) return error("No channel specified");
      const exten = message.get("Exten");
      if (!exten) return error("No extension specified");
      const context = message.get("Context") || pbx.channel(channel)?.ctx.context || "default";
      if (!pbx.channel(channel)) return error("No such channel");
      return pbx.blindTransfer(channel, context, exten) ? [ok(["Message", "Transfer succeeded"])] : error("Transfer failed");
    },
  },
  extensionstate: {
    write: ["call", "reporting"], synopsis: "Check Extension Status.",
    handler: ({ message, pbx }) => {
      const exten = message.get("Exten") ?? "", context = message.get("Context") || "default";
      if (!exten) return error("Extension not specified");
      const s = pbx.extensionState(context, exten);
      return [ok(["Message", "Extension Status"], ["Exten", exten], ["Context", context], ["Hint", s?.hint ?? ""],
        ["Status", String(s ? s.status : -1)], ["StatusText", s ? extensionStateName(s.status) : "Unknown"])];
    },
  },
  dbget: {
    write: ["system", "reporting"], synopsis: "Get DB Entry.",
    handler: ({ message, pbx }) => {
      const family = message.get("Family"), key = message.get("Key");
      if (!family) return error("No family specified.");
      if (!key) return error("No key specified.");
      const value = pbx.dbGet(family, key);
      if (value === undefined) return error("Database entry not found");
      return list("Result will follow", [[["Event", "DBGetResponse"], ["Family", family], ["Key", key], ["Val", value]]], "DBGetComplete");
    },
  },
  dbput: {
    write: ["system"], synopsis: "Put DB entry.",
    handler: ({ message, pbx }) => {
      const family = message.get("Family"), key = message.get("Key");
      if (!family) return error("No family specified");
      if (!key) return error("No key specified");
      pbx.dbPut(family, key, message.get("Val") ?? "");
      return [ok(["Message", "Updated database successfully"])];
    },
  },
  dbdel: {
    write: ["system"], synopsis: "Delete DB entry.",
    handler: ({ message, pbx }) => {
      const family = message.get("Family"), key = message.get("Key");
      if (!family) return error("No family specified.");
      if (!key) return error("No key specified.");
      return pbx.dbDel(family, key) ? [ok(["Message", "Key deleted successfully"])] : error("Database entry not found");
    },
  },
  dbdeltree: {
    write: ["system"], synopsis: "Delete DB Tree.",
    handler: ({ message, pbx }) => {
      const family = message.get("Family");
      if (!family) return error("No family specified.");
      return pbx.dbDelTree(family, message.get("Key") || undefined) > 0 ? [ok(["Message", "Key tree deleted successfully"])] : error("Database entry not found");
    },
  },
  userevent: {
    write: ["user"], synopsis: "Send an arbitrary event.",
    handler: ({ message, broadcast }) => {
      const name = message.get("UserEvent");
      if (!name) return error("No UserEvent specified");
      broadcast("UserEvent", ["user"], [["UserEvent", name], ...message.headers.filter(([k]) => !/^(action|actionid|userevent)$/i.test(k)).map(([k, v]) => [k, v] as [string, string])]);
      return [ok(["Message", "Event Sent"])];
    },
  },
  reload: {
    write: ["system", "config"], synopsis: "Send a reload event.",
    handler: async ({ message, pbx }) => {
      await pbx.reload(message.get("Module"));
      return [ok(["Message", "Module Reloaded"])];
    },
  },
  pjsipshowendpoints: {
    write: ["system"], synopsis: "Lists PJSIP endpoints.",
    handler: ({ pbx }) => {
      const items = pbx.endpoints().map((e): Fields => [
        ["Event", "EndpointList"], ["ObjectType", "endpoint"], ["ObjectName", e.name], ["Transport", e.transport], ["Aor", e.aors.join(",")],
        ["Auths", e.auths.join(",")], ["OutboundAuths", e.outboundAuths.join(",")], ["Contacts", e.contacts.map((c) => `${c.aor}/${c.uri},`).join("")],
        ["DeviceState", e.deviceState], ["ActiveChannels", e.activeChannels.join(",")],
      ]);
      if (!items.length) return error("No endpoints found");
      return list("A listing of Endpoints follows, presented as EndpointList events", items, "EndpointListComplete");
    },
  },
  pjsipshowendpoint: {
    write: ["system"], synopsis: "Detail listing of an endpoint and its objects.",
    handler: ({ message, pbx }) => {
      const name = message.get("Endpoint");
      if (!name) return error("Endpoint parameter missing.");
      const e = pbx.endpoints().find((x) => x.name === name);
      if (!e) return error(`Unable to retrieve endpoint ${name}`);
      const items: Fields[] = [
        [["Event", "EndpointDetail"], ["ObjectType", "endpoint"], ["ObjectName", e.name], ["Context", e.context], ["Transport", e.transport],
          ["Aors", e.aors.join(",")], ["Auth", e.auths.join(",")], ["OutboundAuth", e.outboundAuths.join(",")], ["DeviceState", e.deviceState],
          ["ActiveChannels", e.activeChannels.join(",")]],
        ...e.contacts.map((c): Fields => [["Event", "ContactStatusDetail"], ["AOR", c.aor], ["URI", c.uri], ["UserAgent", c.userAgent],
          ["RegExpire", c.expiresAt ? String(Math.floor(c.expiresAt / 1e6)) : ""], ["ViaAddress", c.viaAddr], ["CallID", c.callId],
          ["Status", c.status], ["RoundtripUsec", String(c.rttUsec)], ["EndpointName", e.name]]),
      ];
      return list("Following are Events for each object associated with the Endpoint", items, "EndpointDetailComplete");
    },
  },
  pjsipshowcontacts: {
    write: ["system"], synopsis: "Lists PJSIP Contacts.",
    handler: ({ pbx }) => {
      const items = pbx.endpoints().flatMap((e) => e.contacts.map((c): Fields => [
        ["Event", "ContactList"], ["ObjectType", "contact"], ["ObjectName", `${c.aor};@${c.callId || c.uri}`], ["ViaAddr", c.viaAddr],
        ["CallId", c.callId], ["Endpoint", e.name], ["Uri", c.uri], ["UserAgent", c.userAgent],
        ["ExpirationTime", c.expiresAt ? String(Math.floor(c.expiresAt / 1e6)) : "0"], ["Status", c.status], ["RoundtripUsec", String(c.rttUsec)],
      ]));
      return list("A listing of Contacts follows, presented as ContactList events", items, "ContactListComplete");
    },
  },
  pjsipshowregistrationsoutbound: {
    write: ["system", "reporting"], synopsis: "Lists PJSIP outbound registrations.",
    handler: ({ pbx }) => {
      const regs = pbx.outboundRegistrations();
      const items = regs.map((r): Fields => [
        ["Event", "OutboundRegistrationDetail"], ["ObjectType", "registration"], ["ObjectName", r.name], ["ServerUri", r.serverUri],
        ["ClientUri", r.clientUri], ["Expiration", String(r.expiration)], ["RetryInterval", String(r.retryInterval)], ["MaxRetries", String(r.maxRetries)],
        ["Status", r.status], ["NextReg", r.nextRegAt ? String(Math.floor(r.nextRegAt / 1e6)) : "0"],
      ]);
      const registered = regs.filter((r) => r.status === "Registered").length;
      return list("Following are Events for each Outbound registration", items, "OutboundRegistrationDetailComplete",
        [["Registered", String(registered)], ["NotRegistered", String(regs.length - registered)]]);
    },
  },
  pjsipqualify: {
    write: ["system", "reporting"], synopsis: "Qualify a chan_pjsip endpoint.",
    handler: ({ message, pbx }) => {
      const endpoint = message.get("Endpoint");
      if (!endpoint) return error("Endpoint parameter missing.");
      return pbx.qualify(endpoint) ? [ok(["Message", "Endpoint found, will qualify"])] : error(`Unable to retrieve endpoint ${endpoint}`);
    },
  },
  pjsipregister: {
    write: ["system"], synopsis: "Register an outbound registration.",
    handler: ({ message, pbx }) => {
      const name = message.get("Registration") ?? "";
      if (!name) return error("Registration parameter missing.");
      return pbx.sendRegistration(name, "register") ? [ok(["Message", "Register sent"])] : error(`Unable to retrieve registration entry ${name}`);
    },
  },
  pjsipunregister: {
    write: ["system"], synopsis: "Unregister an outbound registration.",
    handler: ({ message, pbx }) => {
      const name = message.get("Registration") ?? "";
      if (!name) return error("Registration parameter missing.");
      return pbx.sendRegistration(name, "unregister") ? [ok(["Message", "Unregister sent"])] : error(`Unable to retrieve registration entry ${name}`);
    },
  },
  // Recall has no voicemail yet: like Asterisk without app_voicemail, every mailbox is empty.
  mailboxcount: {
    write: ["call", "reporting"], synopsis: "Check Mailbox Message Count.",
    handler: ({ message }) => {
      const mailbox = message.get("Mailbox");
      if (!mailbox) return error("Mailbox not specified");
      return [ok(["Message", "Mailbox Message Count"], ["Mailbox", mailbox], ["UrgMessages", "0"], ["NewMessages", "0"], ["OldMessages", "0"])];
    },
  },
  mailboxstatus: {
    write: ["call", "reporting"], synopsis: "Check mailbox.",
    handler: ({ message }) => {
      const mailbox = message.get("Mailbox");
      if (!mailbox) return error("Mailbox not specified");
      return [ok(["Message", "Mailbox Status"], ["Mailbox", mailbox], ["Waiting", "0"])];
    },
  },
  sendtext: {
    write: ["call"], synopsis: "Sends a text message to channel.",
    handler: async ({ message, pbx }) => {
      const channel = message.get("Channel");
      if (!channel) return error("No channel specified");
      const text = message.get("Message");
      if (text === undefined) return error("No Message specified");
      const status = await pbx.sendText(channel, text, message.get("Content-Type") || "text/plain");
      if (status === undefined) return error("No such channel");
      return status >= 200 && status < 300 ? [ok(["Message", "Success"])] : error("Failure");
    },
  },
  playdtmf: {
    write: ["call"], synopsis: "Play DTMF signal on a specific channel.",
    handler: async ({ message, pbx }) => {
      const channel = message.get("Channel");
      if (!channel) return error("Channel not specified");
      const digit = message.get("Digit") ?? "";
      if (!/^[0-9*#A-Da-d]$/.test(digit)) return error("No digit specified");
      const duration = Number(message.get("Duration") ?? "100") || 100;
      const receive = /^(1|true|yes|on)$/i.test(message.get("Receive") ?? "");
      const done = await pbx.playDtmf(channel, digit.toUpperCase(), duration, receive).catch((e: Error) => e);
      if (done instanceof Error) return error(`Could not send DTMF: ${done.message}`);
      return done ? [ok(["Message", "DTMF successfully queued"])] : error(`Channel not found: ${channel}`);
    },
  },
  mixmonitor: {
    write: ["system", "call"], synopsis: "Record a call and mix the audio during the recording.",
    handler: async ({ message, pbx }) => {
      const channel = message.get("Channel");
      if (!channel) return error("No channel specified");
      const id = await pbx.mixMonitor(channel, message.get("File") ?? "", message.get("Options") ?? "").catch((e: Error) => e);
      if (id instanceof Error) return error(`Could not start monitoring channel: ${id.message}`);
      if (id === undefined) return error("No such channel");
      return [ok(["MixMonitorID", id])];
    },
  },
  stopmixmonitor: {
    write: ["system", "call"], synopsis: "Stop recording a call through MixMonitor, and free the recording's file handle.",
    handler: async ({ message, pbx }) => {
      const channel = message.get("Channel");
      if (!channel) return error("No channel specified");
      return (await pbx.stopMixMonitor(channel, message.get("MixMonitorID") || undefined)) ? [ok()] : error("Could not stop MixMonitor");
    },
  },
  originate: {
    write: ["originate"], synopsis: "Originate a call.",
    handler: async ({ message, pbx, broadcast }) => {
      const channel: string = message.get("Channel") ?? "";
      if (!channel) return error("Channel not specified");
      if (!pbx.originate) return error("Originate is not available in this build");
      const application = message.get("Application");
      const priority = Number(message.get("Priority") ?? "1");
      if (!application && !Number.isInteger(priority)) return error("Invalid priority");
      const cid = parseCallerId(message.get("CallerID") ?? "");
      const variables: Record<string, string> = {};
      for (const v of message.all("Variable")) for (const pair of v.split(",")) {
        const eq = pair.indexOf("=");
        if (eq > 0) variables[pair.slice(0, eq).trim()] = pair.slice(eq + 1);
      }
      const timeoutMs = Number(message.get("Timeout") ?? "30000") || 30000;
      const data: string = message.get("Data") ?? "";
      const context: string = application ? "" : message.get("Context") ?? "default";
      const exten: string = application ? "" : message.get("Exten") ?? "s";
      const to = application ? { application, data } : { context, exten, priority };
      const isAsync = /^(1|true|yes|on)$/i.test(message.get("Async") ?? "");
      const actionId = message.get("ActionID");
      const run = pbx.originate({ channel, to, callerId: cid, variables, account: message.get("Account") ?? "", timeoutMs }, () => undefined);
      const report = (r: OriginateResult) => broadcast("OriginateResponse", ["call"], [
        ...(actionId !== undefined ? [["ActionID", actionId] as [string, string]] : []), ["Response", r.response], ["Channel", r.channel || channel],
        ["Context", context], ["Exten", exten], ["Application", application ?? ""], ["Data", data],
        ["Reason", String(r.reason)], ["Uniqueid", r.uniqueid || "<null>"], ["CallerIDNum", cid.num || "<unknown>"], ["CallerIDName", cid.name || "<unknown>"],
      ]);
      if (isAsync) {
        run.then(report, () => report({ response: "Failure", reason: 0, channel, uniqueid: "", callerId: cid, context: "", exten: "" }));
        return [ok(["Message", "Originate successfully queued"])];
      }
      try {
        const r = await run;
        return r.response === "Success" ? [ok(["Message", "Originate successfully queued"])] : error("Originate failed");
      } catch (e) {
        return error(`Originate failed: ${(e as Error).message}`);
      }
    },
  },
};

/** ListCommands prints Asterisk's spelling of each action. */
const DISPLAY: Readonly<Record<string, string>> = {
  ...QUEUE_DISPLAY,
  ping: "Ping", events: "Events", filter: "Filter", listcommands: "ListCommands", command: "Command", corestatus: "CoreStatus",
  coresettings: "CoreSettings", coreshowchannels: "CoreShowChannels", status: "Status", hangup: "Hangup", getvar: "Getvar", setvar: "Setvar",
  dbget: "DBGet", dbput: "DBPut", dbdel: "DBDel", dbdeltree: "DBDelTree", userevent: "UserEvent", reload: "Reload",
  pjsipshowendpoints: "PJSIPShowEndpoints", pjsipshowendpoint: "PJSIPShowEndpoint", pjsipshowcontacts: "PJSIPShowContacts",
  pjsipshowregistrationsoutbound: "PJSIPShowRegistrationsOutbound", pjsipqualify: "PJSIPQualify", pjsipregister: "PJSIPRegister", pjsipunregister: "PJSIPUnregister",
  mailboxcount: "MailboxCount", mailboxstatus: "MailboxStatus", sendtext: "SendText", playdtmf: "PlayDTMF", mixmonitor: "MixMonitor", redirect: "Redirect", bridge: "Bridge", atxfer: "Atxfer", blindtransfer: "BlindTransfer", extensionstate: "ExtensionState", stopmixmonitor: "StopMixMonitor", originate: "Originate",
};

/** `"Name" <num>`, `Name <num>`, `num`. */
export function parseCallerId(text: string): { num: string; name: string } {
  const m = /^\s*(?:"([^"]*)"|([^<]*?))\s*<([^>]*)>\s*$/.exec(text);
  if (m) return { name: (m[1] ?? m[2] ?? "").trim(), num: (m[3] ?? "").trim() };
  return /^[\d*#+]+$/.test(text.trim()) ? { num: text.trim(), name: "" } : { num: "", name: text.trim() };
}
