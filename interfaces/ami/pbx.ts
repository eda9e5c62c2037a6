/**
 * What AMI needs from the rest of the PBX, and nothing more: live channels and what
 * can be done to them, the AstDB, the PJSIP objects, and console commands. One
 * adapter implements it over the call core and the PJSIP driver (call-core-adapter.ts).
 */
import type { ChannelContext } from "../../events/catalogue/channel.js";
import type { QueueService } from "../../actors/queue/service.js";

export interface ChannelView {
  readonly ctx: ChannelContext;
  /** The channel machine's state value (down, ring, ringing, up, ...). */
  readonly state: string;
  /** Name of the channel it is bridged to, "" when none. */
  readonly bridgedTo: string;
}

export interface DialplanPosition { readonly context: string; readonly exten: string; readonly priority: number }

export interface OriginateRequest {
  /** `PJSIP/6001`, `PJSIP/555@trunk`, `PJSIP/6001/sip:...`. */
  readonly channel: string;
  /** Where the answered channel goes: context/exten/priority, or an application. */
  readonly to: { readonly context: string; readonly exten: string; readonly priority: number } | { readonly application: string; readonly data: string };
  readonly callerId: { readonly num: string; readonly name: string };
  readonly variables: Readonly<Record<string, string>>;
  readonly account: string;
  readonly timeoutMs: number;
}

export interface OriginateResult {
  /** Success once answered; Failure otherwise. */
  readonly response: "Success" | "Failure";
  /** Asterisk's reason codes: 4 answered, 1 hung up, 3 no answer (ringing), 5 busy, 8 congestion, 0 failure. */
  readonly reason: number;
  readonly channel: string;
  readonly uniqueid: string;
  readonly callerId: { readonly num: string; readonly name: string };
  readonly context: string;
  readonly exten: string;
}

export interface EndpointView {
  readonly name: string;
  readonly transport: string;
  readonly aors: readonly string[];
  readonly auths: readonly string[];
  readonly outboundAuths: readonly string[];
  readonly context: string;
  readonly contacts: readonly { readonly aor: string; readonly uri: string; readonly status: string; readonly rttUsec: number; readonly userAgent: string; readonly expiresAt?: number; readonly viaAddr: string; readonly callId: string }[];
  readonly deviceState: string;
  readonly activeChannels: readonly string[];
}

export interface OutboundRegistrationView {
  readonly name: string;
  readonly serverUri: string;
  readonly clientUri: string;
  readonly status: string;
  readonly expiration: number;
  readonly retryInterval: number;
  readonly maxRetries: number;
  readonly nextRegAt?: number;
}


export interface Pbx {
  channels(): ChannelView[];
  channel(name: string): ChannelView | undefined;
  /** Hang up a channel with a Q.850 cause (soft hangup, as `channel request hangup`). */
  hangup(name: string, cause: number): boolean;
  /** A channel variable or function value (only plain variables here). */
  getVar(name: string, variable: string): string | undefined;
  setVar(name: string, variable: string, value: string): boolean;
  /** A global variable ("" when unset), and setting one. */
  getGlobal(variable: string): string;
  setGlobal(variable: string, value: string): void;
  /** Place a call (absent when the call layer cannot). Resolves when answered or failed. */
  originate?(request: OriginateRequest, onNew: (channel: string) => void): Promise<OriginateResult>;
  /**
   * Redirect a bridged channel to a dialplan position; its partner goes to `extra`'s
   * position (two-channel Redirect) or is hung up. An error text when it cannot.
   */
  redirect(name: string, to: DialplanPosition, extra?: { readonly name: string; readonly to: DialplanPosition }): string | undefined;
  /**
   * Bridge two channels that run the dialplan (AMI Bridge): each application is
   * interrupted, `tone` channels hear a beep, and both wait in the new bridge; when it
   * ends, each goes on after the application it was in. An error text when it cannot.
   */
  bridge(channel1: string, channel2: string, tone: "none" | "Channel1" | "Channel2" | "Both"): string | undefined;
  /** Attended transfer started for `name` (AMI Atxfer): it consults exten@context, its partner on hold. An error text when it cannot. */
  atxfer(name: string, exten: string, context?: string): string | undefined;
  /** Blind-transfer the bridge partner of `name` to exten@context; the transferer leaves. False when it is not bridged. */
  blindTransfer(name: string, context: string, exten: string): boolean;
  /** A dialplan hint's devices and their combined state (undefined: no hint). */
  extensionState(context: string, exten: string): { readonly hint: string; readonly status: number } | undefined;
  /** SendText: a SIP MESSAGE in the channel's dialog; resolves with the phone's final status (0: no answer). */
  sendText(name: string, text: string, contentType: string): Promise<number | undefined>;
  /** PlayDTMF: send a digit to the channel's phone (RFC 4733), or with `receive` act as if the phone had pressed it. */
  playDtmf(name: string, digit: string, durationMs: number, receive: boolean): Promise<boolean>;
  mixMonitor(name: string, file: string, options: string): Promise<string | undefined>;
  stopMixMonitor(name: string, id?: string): Promise<boolean>;

  dbGet(family: string, key: string): string | undefined;
  dbPut(family: string, key: string, value: string): void;
  dbDel(family: string, key: string): boolean;
  dbDelTree(family: string, keytree?: string): number;

  endpoints(): EndpointView[];
  outboundRegistrations(): OutboundRegistrationView[];
  /** PJSIPQualify: an OPTIONS to every contact of the endpoint's AORs now; false when there is no such endpoint. */
  qualify(endpoint: string): boolean;
  /** PJSIPRegister / PJSIPUnregister: false when there is no such registration. */
  sendRegistration(name: string, what: "register" | "unregister"): boolean;

  /** app_queue's queues and their operations (absent when queues are not loaded). */
  readonly queues?: QueueService;
  /** Re-read queues.conf (QueueReload); an error text when it could not be read. */
  reloadQueues?(): string | undefined;

  /** A console command's output, through the same table `recall cli` uses. */
  command(line: string): Promise<string>;
  /** Every console command (for Command's completeness and ListCommands' neighbours). */
  reload(module?: string): Promise<string>;
}
