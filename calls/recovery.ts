/**
 * After a restart: the calls that were up when the process stopped. Their actors come
 * back from the log, but their signalling (SIP dialogs and transactions, media sessions)
 * lived in the process and is gone, so they cannot go on. As Asterisk loses its calls on
 * a restart, Recall ends them, but in the log: each channel leaves its bridge, hangs up
 * (cause 41, temporary failure) and is destroyed, each bridge is destroyed, so CDR, CEL
 * and the live views close every call instead of showing it up forever.
 */
import type { ActorRuntime } from "../actors/runtime.js";

/** The hang-up cause of a call that a restart ended (AST_CAUSE_FAILURE, "Temporary failure"). */
export const RESTART_CAUSE = 41;

export function endRecoveredCalls(runtime: ActorRuntime): { channels: number; bridges: number } {
  const channels = runtime.ids("channel"), bridges = runtime.ids("bridge");
  for (const id of channels) {
    const s = runtime.state(id);
    const ctx = s?.context as { bridge?: string } | undefined;
    if (ctx?.bridge) {
      if (runtime.state(`bridge:${ctx.bridge}`)) runtime.send(`bridge:${ctx.bridge}`, { source: "actor", type: "leave", channel: id });
      runtime.send(id, { source: "actor", type: "bridge.exit", bridge: ctx.bridge });
    }
    if (s?.value !== "hungup") runtime.send(id, { source: "actor", type: "hangup", cause: RESTART_CAUSE, by: "" });
    runtime.send(id, { source: "actor", type: "destroy" });
  }
  for (const id of bridges) if (runtime.state(id)) runtime.send(id, { source: "actor", type: "destroy" });
  return { channels: channels.length, bridges: bridges.length };
}
