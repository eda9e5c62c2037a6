/**
 * An outbound registration (`type=registration`): keeps Recall registered with a
 * provider's registrar, with exactly the failure rules of Asterisk's "Dealing with
 * Failure": which responses are temporary, `auth_rejection_permanent`,
 * `retry_interval`, `forbidden_retry_interval`, `fatal_retry_interval`, `max_retries`,
 * and a refresh before the granted expiration.
 *
 * The machine owns the REGISTER dialog (Call-ID, From tag, CSeq) and asks for each
 * REGISTER through a `register.send` output; the SIP layer sends it, answers a digest
 * challenge when asked to, and reports the outcome as a `response` or `timeout` input.
 */
import { assign, emit, enqueueActions, setup } from "xstate";
import type { OutboundRegistrationContext } from "../../events/catalogue/outbound-registration.js";
import { randomHex } from "../../core/random.js";
import type { ActorKindDef, MachineEvent, SpawnInput } from "../kind.js";

/** The registration's settings, as pjsip.conf gives them. */
export type RegistrationSettings = {
  readonly name: string;
  readonly serverUri: string;
  readonly clientUri: string;
  readonly contactUser: string;
  readonly expiration: number;
  readonly retryInterval: number;
  readonly forbiddenRetryInterval: number;
  readonly fatalRetryInterval: number;
  readonly maxRetries: number;
  readonly authRejectionPermanent: boolean;
  readonly hasAuth: boolean;
  readonly maxRandomInitialDelay: number;
};

export type StartInput = { readonly source: "config" | "test"; readonly type: "start" } & RegistrationSettings;

type Source = "sip" | "timer" | "cli" | "ami" | "config" | "test";
type RegistrationEvent =
  | MachineEvent<{ source: Source; type: "response"; cseq: number; status: number; expires?: number; retryAfter?: number; authenticated: boolean }>
  | MachineEvent<{ source: Source; type: "timeout"; cseq: number }>
  | MachineEvent<{ source: "timer"; type: "timer"; name: string }>
  | MachineEvent<{ source: Source; type: "register" }>
  | MachineEvent<{ source: Source; type: "unregister" }>
  | MachineEvent<{ source: Source; type: "stop" }>;

type Emitted =
  | { type: "register.send"; cseq: number; expires: number; authorize: boolean }
  | { type: "timer.set"; name: string; at: number }
  | { type: "timer.cancel"; name: string }
  | { type: "log"; level: "NOTICE" | "WARNING" | "ERROR"; message: string };

type Ctx = OutboundRegistrationContext;
type Reply = Extract<RegistrationEvent, { type: "response" | "timeout" }>;

const NEXT = "next";
const isAuthChallenge = (status: number) => status === 401 || status === 407;
const TEMPORARY = new Set([408, 500, 502, 503, 504]);

/** Seconds until the refresh: a little before the granted expiration, as pjsip does. */
const refreshDelay = (granted: number) => (granted > 10 ? granted - 5 : Math.max(1, Math.floor(granted / 2)));

/** How Asterisk treats a failed attempt: retry after `interval` seconds, or stop. */
function failure(ctx: Ctx, e: Reply): { interval: number; message: string; level: "WARNING" | "ERROR" } {
  const status = e.type === "timeout" ? 0 : e.status;
  const who = `'${ctx.serverUri}' on registration attempt to '${ctx.clientUri}'`;
  const temporary = status === 0 || TEMPORARY.has(status) || status >= 600 || (isAuthChallenge(status) && !ctx.authRejectionPermanent);
  if (temporary) {
    const interval = (e.type === "response" && e.retryAfter) || ctx.retryInterval;
    const what = status === 0 ? `No response received from ${who}` : `Temporal response '${status}' received from ${who}`;
    return { interval, level: "WARNING", message: interval ? `${what}, retrying in '${interval}'` : `${what}, not retrying` };
  }
  if (status === 403 && ctx.forbiddenRetryInterval > 0) {
    return { interval: ctx.forbiddenRetryInterval, level: "WARNING", message: `403 Forbidden fatal response received from ${who}, retrying in '${ctx.forbiddenRetryInterval}' seconds` };
  }
  if (ctx.fatalRetryInterval > 0) {
    return { interval: ctx.fatalRetryInterval, level: "WARNING", message: `'${status}' fatal response received from ${who}, retrying in '${ctx.fatalRetryInterval}' seconds` };
  }
  return { interval: 0, level: "ERROR", message: `Fatal response '${status}' received from ${who}, stopping outbound registration` };
}

const canRetry = (ctx: Ctx, e: Reply) => failure(ctx, e).interval > 0 && ctx.retries < ctx.maxRetries;
const current = ({ context, event }: { context: Ctx; event: RegistrationEvent }) =>
  (event.type === "response" || event.type === "timeout") && event.cseq === context.cseq;

export const outboundRegistrationMachine = setup({
  types: {} as { context: Ctx; events: RegistrationEvent; input: SpawnInput<StartInput>; emitted: Emitted },
  guards: {
    current,
    /** The reply to an unregister (Expires: 0), whatever it says. */
    unregisterReply: (a) => current(a) && a.context.pending === "unregister",
    success: (a) => current(a) && a.event.type === "response" && a.event.status >= 200 && a.event.status < 300,
    /** A first challenge we hold credentials for: answer it, it is not a failure. */
    challenge: (a) => current(a) && a.event.type === "response" && isAuthChallenge(a.event.status) && a.context.hasAuth && !a.event.authenticated,
    provisional: (a) => current(a) && a.event.type === "response" && a.event.status < 200,
    retry: (a) => current(a) && canRetry(a.context, a.event as Reply),
    retryTimer: ({ event }) => event.type === "timer" && event.name === NEXT,
  },
  actions: {
    send: assign(({ context }) => ({ ...context, cseq: context.cseq + 1, pending: "register" as const, nextAt: 0 })),
    sendNow: emit(({ context }) => ({ type: "register.send" as const, cseq: context.cseq, expires: context.expiration, authorize: false })),
    answerChallenge: enqueueActions(({ context, enqueue }) => {
      const cseq = context.cseq + 1;
      enqueue.assign({ cseq });
      enqueue.emit({ type: "register.send", cseq, expires: context.expiration, authorize: true });
    }),
    registered: enqueueActions(({ context, event, enqueue }) => {
      const granted = event.type === "response" && event.expires !== undefined ? event.expires : context.expiration;
      const nextAt = event.env.now + refreshDelay(granted) * 1e6;
      enqueue.assign({ retries: 0, pending: "none", granted, lastStatus: 200, permanent: false, nextAt });
      enqueue.emit({ type: "timer.set", name: NEXT, at: nextAt });
    }),
    scheduleRetry: enqueueActions(({ context, event, enqueue }) => {
      const f = failure(context, event as Reply);
      const nextAt = event.env.now + f.interval * 1e6;
      enqueue.assign({ retries: context.retries + 1, pending: "none", lastStatus: event.type === "response" ? event.status : 0, permanent: false, nextAt });
      enqueue.emit({ type: "timer.set", name: NEXT, at: nextAt });
      enqueue.emit({ type: "log", level: "WARNING", message: f.message });
    }),
    giveUp: enqueueActions(({ context, event, enqueue }) => {
      const f = failure(context, event as Reply);
      enqueue.emit(f.interval > 0
        ? { type: "log", level: "WARNING", message: `Maximum retries reached when attempting outbound registration to '${context.serverUri}' with client '${context.clientUri}', stopping registration attempt` }
        : { type: "log", level: f.level, message: f.message });
      enqueue.assign({ pending: "none", lastStatus: event.type === "response" ? event.status : 0, permanent: true, nextAt: 0 });
    }),
    unregisterNow: enqueueActions(({ context, enqueue }) => {
      const cseq = context.cseq + 1;
      enqueue.assign({ cseq, pending: "unregister", nextAt: 0, granted: 0 });
      enqueue.emit({ type: "timer.cancel", name: NEXT });
      enqueue.emit({ type: "register.send", cseq, expires: 0, authorize: false });
    }),
    settled: assign({ pending: "none" as const }),
    resetRetries: enqueueActions(({ enqueue }) => {
      enqueue.assign({ retries: 0 });
      enqueue.emit({ type: "timer.cancel", name: NEXT });
    }),
  },
}).createMachine({
  id: "outbound-registration",
  context: ({ input }) => {
    const s = input.spawn;
    const random = { next32: () => input.env.random32() };
    const delay = s.maxRandomInitialDelay > 0 ? random.next32() % (s.maxRandomInitialDelay * 1000) : 0;
    return {
      name: s.name, serverUri: s.serverUri, clientUri: s.clientUri, contactUser: s.contactUser, expiration: s.expiration,
      retryInterval: s.retryInterval, forbiddenRetryInterval: s.forbiddenRetryInterval, fatalRetryInterval: s.fatalRetryInterval,
      maxRetries: s.maxRetries, authRejectionPermanent: s.authRejectionPermanent, hasAuth: s.hasAuth, maxRandomInitialDelay: s.maxRandomInitialDelay,
      callId: randomHex(random, 16), fromTag: randomHex(random, 8), cseq: 0, retries: 0, pending: "none", granted: 0,
      lastStatus: 0, permanent: false, nextAt: input.env.now + delay * 1000,
    };
  },
  initial: "unregistered",
  // The first REGISTER goes out when the (possibly zero) initial delay's timer fires.
  entry: emit(({ context }) => ({ type: "timer.set", name: NEXT, at: context.nextAt })),
  on: {
    stop: [
      { guard: ({ context }) => context.granted > 0, target: ".stopping", actions: "unregisterNow" },
      { target: ".stopped", actions: emit({ type: "timer.cancel", name: NEXT }) },
    ],
    unregister: { target: ".unregistered", actions: "unregisterNow" },
    register: { actions: ["resetRetries", "send", "sendNow"] },
    timer: { guard: "retryTimer", actions: ["send", "sendNow"] },
  },
  states: {
    unregistered: {
      on: {
        response: [
          { guard: "unregisterReply", actions: "settled" },
          { guard: "provisional" },
          { guard: "success", target: "registered", actions: "registered" },
          { guard: "challenge", actions: "answerChallenge" },
          { guard: "retry", target: "rejected", actions: "scheduleRetry" },
          { guard: "current", target: "rejected", actions: "giveUp" },
        ],
        timeout: [
          { guard: "unregisterReply", actions: "settled" },
          { guard: "retry", target: "rejected", actions: "scheduleRetry" },
          { guard: "current", target: "rejected", actions: "giveUp" },
        ],
      },
    },
    registered: {
      on: {
        response: [
          { guard: "provisional" },
          { guard: "success", target: "registered", reenter: true, actions: "registered" },
          { guard: "challenge", actions: "answerChallenge" },
          { guard: "retry", target: "rejected", actions: "scheduleRetry" },
          { guard: "current", target: "rejected", actions: "giveUp" },
        ],
        timeout: [
          { guard: "retry", target: "rejected", actions: "scheduleRetry" },
          { guard: "current", target: "rejected", actions: "giveUp" },
        ],
      },
    },
    rejected: {
      on: {
        response: [
          { guard: "unregisterReply", target: "unregistered", actions: "settled" },
          { guard: "provisional" },
          { guard: "success", target: "registered", actions: "registered" },
          { guard: "challenge", actions: "answerChallenge" },
          { guard: "retry", target: "rejected", reenter: true, actions: "scheduleRetry" },
          { guard: "current", target: "rejected", reenter: true, actions: "giveUp" },
        ],
        timeout: [
          { guard: "retry", target: "rejected", reenter: true, actions: "scheduleRetry" },
          { guard: "current", target: "rejected", reenter: true, actions: "giveUp" },
        ],
      },
    },
    stopping: {
      on: {
        response: { guard: "current", target: "stopped" },
        timeout: { guard: "current", target: "stopped" },
        stop: {},
        register: {},
        unregister: {},
        timer: {},
      },
    },
    stopped: { type: "final" },
  },
});

export const outboundRegistrationKind: ActorKindDef = {
  kind: "outbound-registration",
  eventType: "outbound-registration.transition",
  eventVersion: 1,
  machine: outboundRegistrationMachine,
};

export const outboundRegistrationId = (name: string) => `outbound-registration:${name}`;

/** The status word `pjsip show registrations` prints. */
export function registrationStatus(value: unknown): string {
  switch (value) {
    case "registered": return "Registered";
    case "rejected": return "Rejected";
    case "stopping": return "Stopping";
    case "stopped": return "Stopped";
    default: return "Unregistered";
  }
}
