/**
 * A contact: one URI bound to an AOR by REGISTER. It lives from the first REGISTER
 * until it expires, is unregistered (Expires: 0) or is removed (replaced under
 * `remove_existing`, deleted by an operator, dropped from the config).
 * The registrar decides *whether* a REGISTER is accepted; this machine keeps the
 * binding's lifecycle and asks for its expiry timer.
 */
import { assign, emit, setup } from "xstate";
import type { ContactContext } from "../../events/catalogue/contact.js";
import type { ActorKindDef, MachineEvent, SpawnInput } from "../kind.js";

/** What a REGISTER tells the contact; the spawn input and the refresh input. */
export type RegisterInput = {
  readonly source: "sip" | "test" | "config";
  readonly type: "register";
  readonly aor: string;
  readonly uri: string;
  readonly expires: number;
  readonly callId: string;
  readonly cseq: number;
  readonly userAgent: string;
  readonly received: string;
  readonly endpoint: string;
};

type ContactEvent =
  | MachineEvent<RegisterInput>
  | MachineEvent<{ source: "sip" | "test" | "cli"; type: "unregister" }>
  | MachineEvent<{ source: "sip" | "test" | "cli" | "ami" | "config"; type: "remove"; reason: string }>
  | MachineEvent<{ source: "timer"; type: "timer"; name: string }>
  | MachineEvent<{ source: "sip" | "test"; type: "qualify"; status: "Avail" | "Unavail"; rttMs?: number }>;

const EXPIRY = "expiry";

const binding = (r: RegisterInput, now: number) => ({
  uri: r.uri, expires: r.expires, expiresAt: now + r.expires * 1_000_000, updatedAt: now,
  callId: r.callId, cseq: r.cseq, userAgent: r.userAgent, received: r.received,
});

export const contactMachine = setup({
  types: {} as {
    context: ContactContext;
    events: ContactEvent;
    input: SpawnInput<RegisterInput>;
    emitted: { type: "timer.set"; name: string; at: number } | { type: "timer.cancel"; name: string };
  },
  actions: {
    /** A refreshing REGISTER: new expiry, Call-ID, CSeq and source. */
    refresh: assign(({ context, event }) => (event.type === "register" ? { ...context, ...binding(event, event.env.now) } : context)),
  },
}).createMachine({
  id: "contact",
  context: ({ input }) => ({
    aor: input.spawn.aor, endpoint: input.spawn.endpoint, registeredAt: input.env.now, ...binding(input.spawn, input.env.now),
  }),
  initial: "registered",
  states: {
    registered: {
      entry: emit(({ context }) => ({ type: "timer.set", name: EXPIRY, at: context.expiresAt })),
      on: {
        register: {
          target: "registered",
          reenter: true,
          actions: "refresh",
        },
        unregister: {
          target: "removed",
          actions: [assign({ reason: "unregistered", updatedAt: ({ event }) => event.env.now }), emit({ type: "timer.cancel", name: EXPIRY })],
        },
        remove: {
          target: "removed",
          actions: [assign({ reason: ({ event }) => event.reason, updatedAt: ({ event }) => event.env.now }), emit({ type: "timer.cancel", name: EXPIRY })],
        },
        qualify: {
          actions: assign(({ event }) => (event.type === "qualify"
            ? { qualifyStatus: event.status, ...(event.rttMs !== undefined ? { rttMs: event.rttMs } : { rttMs: undefined }) }
            : {})),
        },
        timer: {
          guard: ({ context, event }) => event.name === EXPIRY && event.env.now >= context.expiresAt,
          target: "expired",
          actions: assign({ reason: "expired", updatedAt: ({ event }) => event.env.now }),
        },
      },
    },
    expired: { type: "final" },
    removed: { type: "final" },
  },
});

export const contactKind: ActorKindDef = {
  kind: "contact",
  eventType: "contact.transition",
  eventVersion: 1,
  machine: contactMachine,
};

/** The actor id of the binding of `uri` to `aor`. */
export const contactId = (aor: string, uri: string) => `contact:${aor}/${uri}`;
