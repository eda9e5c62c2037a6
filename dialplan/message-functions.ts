/**
 * MESSAGE(to|from|body), MESSAGE_DATA(header) and MessageSend(to[,from]): the dialplan
 * side of SIP MESSAGE (Asterisk's main/message.c). They work on a message's channel
 * (Asterisk's `Message/ast_msg_queue`); on a call's channel there is no message to
 * read, and MessageSend sets MESSAGE_SEND_STATUS=FAILURE.
 */
import type { DialplanFunction } from "./channel-functions.js";
import type { Application } from "./executor.js";
import { splitArguments } from "./functions.js";
import { CONTINUE } from "./apps/index.js";
import type { DialplanChannel } from "../calls/channel-api.js";

/** Where MessageSend sends: a Request-URI and the transport destination (`udp:host:port`). */
export interface SendTarget { readonly uri: string; readonly destination: string }

/** What a message's channel adds to a DialplanChannel. */
export interface MessageAccess {
  messageField(field: string): string | undefined;
  setMessageField(field: string, value: string): void;
  /** Send the message (its body, `from` or its own From) to `to`; returns MESSAGE_SEND_STATUS. */
  sendMessage(to: string, from: string): string;
}

function access(channel: DialplanChannel): MessageAccess | undefined {
  return "messageField" in channel ? channel as unknown as MessageAccess : undefined;
}

const FIELDS = new Set(["to", "from", "body", "custom_data"]);

export const messageFunctions: ReadonlyMap<string, DialplanFunction> = new Map<string, DialplanFunction>([
  ["MESSAGE", {
    read(env, a) {
      const field = a.trim().toLowerCase();
      if (!FIELDS.has(field)) { env.warn("message.c", `Invalid argument to MESSAGE(): '${a}'`); return ""; }
      const m = access(env.channel);
      if (!m) { env.warn("message.c", "No message data found on channel"); return ""; }
      return m.messageField(field) ?? "";
    },
    write(env, a, value) {
      const field = a.trim().toLowerCase();
      if (!FIELDS.has(field) || field === "custom_data") { env.warn("message.c", `'${a}' is not a valid value for MESSAGE()`); return; }
      const m = access(env.channel);
      if (!m) { env.warn("message.c", "No message data found on channel"); return; }
      m.setMessageField(field, value);
    },
  }],
  ["MESSAGE_DATA", {
    read(env, a) { return access(env.channel)?.messageField(a.trim()) ?? ""; },
    write(env, a, value) {
      const m = access(env.channel);
      if (!m) { env.warn("message.c", "No message data found on channel"); return; }
      m.setMessageField(a.trim(), value);
    },
  }],
]);

export const messageApplications: ReadonlyMap<string, Application> = new Map<string, Application>([
  ["messagesend", (env, data) => {
    const [to = "", from = ""] = splitArguments(data).map((s) => s.trim());
    const m = access(env.channel);
    let status: string;
    if (!to) { env.warn("message.c", "A 'to' URI must be specified"); status = "INVALID_URI"; }
    else if (!m) { env.warn("message.c", "No message data found on channel"); status = "FAILURE"; }
    else status = m.sendMessage(to, from);
    if (!m || !to) env.channel.setVariable("MESSAGE_SEND_STATUS", status);
    return CONTINUE;
  }],
]);
