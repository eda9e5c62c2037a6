/**
 * The dialplan's view of one SIP MESSAGE: Asterisk runs a message's dialplan on the
 * special channel `Message/ast_msg_queue`, which has no call, no media and no CDR.
 * Every step the dialplan takes is an input of the message actor (so it is in the log
 * and replays); call control and media are refused the way that channel refuses them.
 */
import type { ActorRuntime } from "../../actors/runtime.js";
import { messageId, type MessageInput } from "../../actors/message/machine.js";
import type { Clock } from "../../core/clock.js";
import type { Logger } from "../../core/logger.js";
import type { ChannelContext } from "../../events/catalogue/channel.js";
import type { MessageContext } from "../../events/catalogue/message.js";
import type { DialOutcome, DialplanChannel, MediaResult } from "../../calls/channel-api.js";
import type { MessageAccess, SendTarget } from "../../dialplan/message-functions.js";

export const MESSAGE_CHANNEL = "Message/ast_msg_queue";

export class MessageChannel implements DialplanChannel, MessageAccess {
  readonly id: string;
  private readonly abort = new AbortController();

  constructor(
    uniqueid: string,
    private readonly deps: {
      readonly runtime: ActorRuntime; readonly clock: Clock; readonly logger: Logger;
      /** Where MessageSend's `to` goes: a URI and destination, or the MESSAGE_SEND_STATUS that says why not. */
      readonly resolve: (to: string) => SendTarget | { readonly status: string };
    },
  ) {
    this.id = messageId(uniqueid);
  }

  get signal(): AbortSignal { return this.abort.signal; }

  private message(): MessageContext {
    return this.deps.runtime.state(this.id)?.context as MessageContext;
  }

  private input(i: MessageInput): void {
    this.deps.runtime.send(this.id, i);
  }

  context = (): ChannelContext => {
    const m = this.message();
    const num = /sip:([^@;>]*)@/.exec(m.from)?.[1] ?? "";
    return {
      name: MESSAGE_CHANNEL, uniqueid: m.uniqueid, linkedid: m.uniqueid, tech: "PJSIP", direction: "in", endpoint: m.endpoint,
      callerId: { num, name: "" }, connected: { num: "", name: "" }, dnid: m.exten, ani: num, rdnis: "",
      context: m.context, exten: m.exten, priority: m.priority, app: m.app, appData: m.appData,
      accountcode: "", peeraccount: "", amaflags: "DOCUMENTATION", userfield: "", vars: m.vars, createdAt: m.createdAt,
    };
  };

  state = (): string => "down";
  now(): number { return this.deps.clock.now(); }
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => { this.deps.clock.schedule(this.deps.clock.now() + ms * 1000, resolve); });
  }

  newExten(context: string, exten: string, priority: number): void { this.input({ source: "dialplan", type: "newexten", context, exten, priority }); }
  appStart(app: string, data: string): void { this.input({ source: "dialplan", type: "app.start", app, data }); }
  appEnd(app: string): void { this.input({ source: "dialplan", type: "app.end", app }); }
  setVariable(name: string, value: string): void { this.input({ source: "dialplan", type: "setvar", name, value }); }
  setCdrField(): void { /* a message has no CDR */ }
  setCallerId(): void { /* nor caller ID of its own: MESSAGE(from) is what it has */ }
  setConnected(): void { /* nor a connected party */ }
  userEvent(): void { /* no CEL for messages */ }

  // No call to control: the steps Asterisk's message channel ignores.
  async answer(): Promise<void> { /* nothing to answer */ }
  ringing(): void { /* nothing rings */ }
  progress(): void { /* no early media */ }
  busy(): void { /* nobody to tell */ }
  congestion(): void { /* nobody to tell */ }
  hangup(): void { this.abort.abort(); }
  async dial(): Promise<DialOutcome> {
    this.log("WARNING", "app_dial.c", `${MESSAGE_CHANNEL} cannot dial: a message has no call`);
    return { status: "CHANUNAVAIL" };
  }
  async bridgeWith(): Promise<DialOutcome> { return { status: "CHANUNAVAIL" }; }
  async pickup(): Promise<string | undefined> { return undefined; }
  async play(): Promise<MediaResult> {
    this.log("WARNING", "file.c", `${MESSAGE_CHANNEL} has no media to play to`);
    return { status: "FAILED" };
  }
  async readDigit(): Promise<string | undefined> { return undefined; }
  tones(): void { /* no media */ }
  stopTones(): void { /* no media */ }
  async musicOnHold(): Promise<void> { /* no media */ }
  async echo(): Promise<void> { /* no media */ }

  log(level: "VERBOSE" | "NOTICE" | "WARNING" | "ERROR" | "DEBUG", source: string, message: string): void {
    this.deps.logger.log(level, source, message);
  }

  // ---- MessageAccess: MESSAGE(), MESSAGE_DATA(), MessageSend() ----

  messageField(field: string): string | undefined {
    const m = this.message();
    const f = field.toLowerCase();
    if (f === "to" || f === "from" || f === "body") return m[f];
    return m.data[field];
  }

  setMessageField(field: string, value: string): void {
    this.input({ source: "dialplan", type: "setfield", field, value });
  }

  sendMessage(to: string, from: string): string {
    const m = this.message();
    const target = this.deps.resolve(to);
    if ("status" in target) {
      this.input({ source: "dialplan", type: "send.failed", to, status: target.status });
      return target.status;
    }
    this.input({ source: "dialplan", type: "send", to, from: from || m.from, body: m.body, uri: target.uri, destination: target.destination });
    return "SUCCESS";
  }

  /** The dialplan has finished with the message. */
  end(): void {
    this.abort.abort();
    this.input({ source: "sip", type: "end" });
  }
}
