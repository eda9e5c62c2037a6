/**
 * A SIP MESSAGE in the dialplan (Asterisk's message routing on `Message/ast_msg_queue`):
 * the message's fields, the dialplan position and variables, and each MessageSend().
 *
 *   routing ──newexten / app.* / setvar / setfield / send──► routing ──end──► done
 */
import { assign, emit, setup } from "xstate";
import type { MessageContext } from "../../events/catalogue/message.js";
import type { ActorKindDef, MachineEvent, SpawnInput } from "../kind.js";

type Source = "sip" | "dialplan" | "test";

export type ReceiveInput = {
  readonly source: Source; readonly type: "receive";
  readonly uniqueid: string; readonly endpoint: string; readonly from: string; readonly to: string;
  readonly body: string; readonly contentType: string; readonly context: string; readonly exten: string;
  /** Asterisk's message variables (receive address, transport, headers), logged when a handler besides the dialplan (ARI) wants the message. */
  readonly variables?: readonly (readonly [string, string])[];
};

export type MessageInput =
  | { readonly source: Source; readonly type: "newexten"; readonly context: string; readonly exten: string; readonly priority: number }
  | { readonly source: Source; readonly type: "app.start"; readonly app: string; readonly data: string }
  | { readonly source: Source; readonly type: "app.end"; readonly app: string }
  | { readonly source: Source; readonly type: "setvar"; readonly name: string; readonly value: string }
  | { readonly source: Source; readonly type: "setfield"; readonly field: string; readonly value: string }
  /** MessageSend() that found where to send: MESSAGE_SEND_STATUS=SUCCESS and a message.send output. */
  | { readonly source: Source; readonly type: "send"; readonly to: string; readonly from: string; readonly body: string; readonly uri: string; readonly destination: string }
  /** MessageSend() that could not send (INVALID_PROTOCOL, INVALID_URI, FAILURE). */
  | { readonly source: Source; readonly type: "send.failed"; readonly to: string; readonly status: string }
  | { readonly source: Source; readonly type: "end" };

export type MessageSendOutput = { readonly type: "message.send"; readonly uri: string; readonly destination: string; readonly from: string; readonly to: string; readonly body: string; readonly seq: number };

const withVar = (vars: Readonly<Record<string, string>>, name: string, value: string) => {
  const next = { ...vars };
  if (value === "") delete next[name]; else next[name] = value;
  return next;
};

export const messageMachine = setup({
  types: {} as { context: MessageContext; events: MachineEvent<MessageInput>; input: SpawnInput<ReceiveInput>; emitted: MessageSendOutput },
}).createMachine({
  id: "message",
  context: ({ input }) => {
    const s = input.spawn;
    return {
      uniqueid: s.uniqueid, endpoint: s.endpoint, from: s.from, to: s.to, body: s.body, contentType: s.contentType, data: {},
      context: s.context, exten: s.exten, priority: 1, app: "", appData: "", vars: {}, createdAt: input.env.now, sent: 0,
    };
  },
  initial: "routing",
  states: {
    routing: {
      on: {
        newexten: { actions: assign(({ event }) => event.type === "newexten" ? { context: event.context, exten: event.exten, priority: event.priority } : {}) },
        "app.start": { actions: assign(({ event }) => event.type === "app.start" ? { app: event.app, appData: event.data } : {}) },
        "app.end": {},
        setvar: { actions: assign(({ context, event }) => event.type === "setvar" ? { vars: withVar(context.vars, event.name, event.value) } : {}) },
        setfield: {
          actions: assign(({ context, event }) => {
            if (event.type !== "setfield") return {};
            const f = event.field.toLowerCase();
            if (f === "to" || f === "from" || f === "body") return { [f]: event.value };
            return { data: withVar(context.data, event.field, event.value) };
          }),
        },
        send: {
          actions: [
            assign(({ context }) => ({ vars: withVar(context.vars, "MESSAGE_SEND_STATUS", "SUCCESS"), sent: context.sent + 1 })),
            emit(({ context, event }) => {
              const e = event as Extract<MessageInput, { type: "send" }>;
              return { type: "message.send" as const, uri: e.uri, destination: e.destination, from: e.from, to: e.to, body: e.body, seq: context.sent };
            }),
          ],
        },
        "send.failed": { actions: assign(({ context, event }) => event.type === "send.failed" ? { vars: withVar(context.vars, "MESSAGE_SEND_STATUS", event.status) } : {}) },
        end: "done",
      },
    },
    done: { type: "final" },
  },
});

export const messageKind: ActorKindDef = { kind: "message", eventType: "message.transition", eventVersion: 1, machine: messageMachine };

export const messageId = (uniqueid: string) => `message:${uniqueid}`;
