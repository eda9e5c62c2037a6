/**
 * A subscription (RFC 6665): a phone watching an extension's state (`dialog`,
 * `presence`) or its mailboxes (`message-summary`). The SIP side decides whether a
 * SUBSCRIBE is accepted and builds each NOTIFY from what this machine asks for; the
 * machine keeps the dialog's counters (our CSeq, the body version), the state last
 * told, and the expiry timer, so every NOTIFY is in the log and replays.
 *
 *   active ──refresh / state (changed)──► active   (NOTIFY each time)
 *   active ──unsubscribe | timer(expiry) | deactivate──► terminated   (a final NOTIFY)
 *   active ──failed──► terminated   (a NOTIFY was refused: 481, 408, no answer)
 */
import { assign, emit, setup } from "xstate";
import type { SubscriptionContext } from "../../events/catalogue/subscription.js";
import type { ActorKindDef, MachineEvent, SpawnInput } from "../kind.js";

type Source = "sip" | "test" | "actor" | "cli";

export type SubscribeInput = {
  readonly source: Source;
  readonly type: "subscribe";
} & Omit<SubscriptionContext, "localCseq" | "remoteCseq" | "expiresAt" | "version" | "createdAt" | "reason"> & { readonly cseq: number };

export type SubscriptionInput =
  | { readonly source: Source; readonly type: "refresh"; readonly cseq: number; readonly expires: number }
  | { readonly source: Source; readonly type: "state"; readonly state: string }
  | { readonly source: Source; readonly type: "unsubscribe"; readonly cseq: number }
  | { readonly source: Source; readonly type: "failed"; readonly status: number }
  /** The watched hint is gone (dialplan reload): a final NOTIFY, terminated;reason=noresource. */
  | { readonly source: Source; readonly type: "deactivate" }
  | { readonly source: "timer"; readonly type: "timer"; readonly name: string };

/** What the SIP side sends: one NOTIFY. */
export type NotifyOutput = {
  readonly type: "notify";
  readonly cseq: number;
  readonly version: number;
  readonly state: string;
  readonly subscriptionState: "active" | "terminated";
  /** Seconds left, for `active;expires=N`. */
  readonly expires?: number;
  readonly reason?: string;
};

const EXPIRY = "expiry";

type Emitted = NotifyOutput | { type: "timer.set"; name: string; at: number } | { type: "timer.cancel"; name: string };

/** The NOTIFY for the context as it now is (after its counters were moved on). */
const notify = (c: SubscriptionContext, now: number): NotifyOutput => c.reason === undefined
  ? { type: "notify", cseq: c.localCseq, version: c.version, state: c.state, subscriptionState: "active", expires: Math.max(0, Math.round((c.expiresAt - now) / 1e6)) }
  : { type: "notify", cseq: c.localCseq, version: c.version, state: c.state, subscriptionState: "terminated", ...(c.reason === "unsubscribed" ? {} : { reason: c.reason }) };

export const subscriptionMachine = setup({
  types: {} as {
    context: SubscriptionContext;
    events: MachineEvent<SubscriptionInput>;
    input: SpawnInput<SubscribeInput>;
    emitted: Emitted;
  },
  actions: {
    /** One more NOTIFY: the next CSeq and body version. */
    next: assign(({ context }) => ({ localCseq: context.localCseq + 1, version: context.version + 1 })),
    sendNotify: emit(({ context, event }) => notify(context, event.env.now)),
    armExpiry: emit(({ context }) => ({ type: "timer.set" as const, name: EXPIRY, at: context.expiresAt })),
    cancelExpiry: emit({ type: "timer.cancel", name: EXPIRY }),
  },
  guards: {
    changed: ({ context, event }) => event.type === "state" && event.state !== context.state,
    expired: ({ context, event }) => event.type === "timer" && event.name === EXPIRY && event.env.now >= context.expiresAt,
  },
}).createMachine({
  id: "subscription",
  context: ({ input }) => {
    const { source: _s, type: _t, cseq, ...rest } = input.spawn;
    return { ...rest, remoteCseq: cseq, localCseq: 1, version: 0, createdAt: input.env.now, expiresAt: input.env.now + rest.expires * 1e6 };
  },
  initial: "active",
  // The first NOTIFY (RFC 6665 §4.2.1.2): CSeq 1, version 0.
  entry: [emit(({ context }) => notify(context, context.createdAt)), emit(({ context }) => ({ type: "timer.set" as const, name: EXPIRY, at: context.expiresAt }))],
  states: {
    active: {
      on: {
        refresh: {
          actions: [
            assign(({ event }) => event.type === "refresh" ? { remoteCseq: event.cseq, expires: event.expires, expiresAt: event.env.now + event.expires * 1e6 } : {}),
            "next", "armExpiry", "sendNotify",
          ],
        },
        state: { guard: "changed", actions: [assign(({ event }) => event.type === "state" ? { state: event.state } : {}), "next", "sendNotify"] },
        unsubscribe: {
          target: "terminated",
          actions: [assign(({ event }) => event.type === "unsubscribe" ? { remoteCseq: event.cseq, reason: "unsubscribed" } : {}), "next", "cancelExpiry", "sendNotify"],
        },
        timer: { guard: "expired", target: "terminated", actions: [assign({ reason: "timeout" }), "next", "sendNotify"] },
        deactivate: { target: "terminated", actions: [assign({ reason: "noresource" }), "next", "cancelExpiry", "sendNotify"] },
        failed: { target: "terminated", actions: [assign(({ event }) => event.type === "failed" ? { reason: `notify failed (${event.status})` } : {}), "cancelExpiry"] },
      },
    },
    terminated: { type: "final" },
  },
});

export const subscriptionKind: ActorKindDef = { kind: "subscription", eventType: "subscription.transition", eventVersion: 1, machine: subscriptionMachine };

/** The actor id of the subscription whose dialog is Call-ID `callId` with our tag `localTag`. */
export const subscriptionId = (callId: string, localTag: string) => `subscription:${callId};${localTag}`;
