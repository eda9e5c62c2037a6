/** One AstDB key: set by `put`, changed by later puts, ended by `del`. */
import { assign, setup } from "xstate";
import type { ActorKindDef, MachineEvent, SpawnInput } from "../kind.js";

type Source = "dialplan" | "cli" | "ami" | "test";
export type AstDbInput =
  | { readonly source: Source; readonly type: "put"; readonly family: string; readonly key: string; readonly value: string }
  | { readonly source: Source; readonly type: "del" };

type Context = { family: string; key: string; value: string };

export const astDbMachine = setup({
  types: {} as { context: Context; events: MachineEvent<AstDbInput>; input: SpawnInput<Extract<AstDbInput, { type: "put" }>> },
}).createMachine({
  id: "astdb",
  context: ({ input }) => ({ family: input.spawn.family, key: input.spawn.key, value: input.spawn.value }),
  initial: "set",
  states: {
    set: {
      on: {
        put: { actions: assign({ value: ({ event }) => (event.type === "put" ? event.value : "") }) },
        del: "deleted",
      },
    },
    deleted: { type: "final" },
  },
});

export const astDbKind: ActorKindDef = { kind: "astdb", eventType: "astdb.transition", eventVersion: 1, machine: astDbMachine };

export const astDbId = (family: string, key: string) => `astdb:${family}/${key}`;
