/**
 * After a restart: the calls that were up when the process stopped. Their actors come
 * back from the log, but their signalling (SIP dialogs and transactions, media sessions)
 * lived in the process and is gone, so they cannot go on. As Asterisk loses its calls on
 * a restart, Recall ends them, but in the log: each channel leaves its bridge, hangs up
 * (cause 41, temporary failure) and is destroyed, each bridge is destroyed, so CDR, CEL
 * and the live views close every call instead of showing it up forever. Queues too:
 * a caller who was waiting abandoned (ABANDON), a member who was in a queue call is
 * free again (its COMPLETECALLER carries the talk time since the member's last call
 * began; the hold time is not in the member's state and is given as 0). An ARI live
 * recording has failed (its file is what was written before the stop).
 */
import type { ActorRuntime } from "../actors/runtime.js";

/** The hang-up cause of a call that a restart ended (AST_CAUSE_FAILURE, "Temporary failure"). */
export const RESTART_CAUSE = 41;

export function endRecoveredCalls(runtime: ActorRuntime, now: number): { channels: number; bridges: number; queueCallers: number } {
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
  for (const id of runtime.ids("recording")) runtime.send(id, { source: "actor", type: "finish", durationMs: 0, error: "Recall restarted" });
  const seconds = (since: number) => Math.max(0, Math.round((now - since) / 1e6));
  let queueCallers = 0;
  for (const id of runtime.ids("queue")) {
    const callers = (runtime.state(id)?.context as { callers?: { uniqueid: string; position: number; enteredAt: number }[] }).callers ?? [];
    for (const c of callers) {
      queueCallers++;
      runtime.send(id, { source: "dialplan", type: "abandon", uniqueid: c.uniqueid, position: c.position, origposition: c.position, waittime: seconds(c.enteredAt) });
    }
  }
  for (const id of runtime.ids("queue-member")) {
    const s = runtime.state(id);
    const m = s?.context as { queue: string; interface: string; name: string; call?: string; lastCall?: number } | undefined;
    if (!m?.call || s?.value !== "incall") continue;
    queueCallers++;
    if (runtime.state(`queue:${m.queue}`)) {
      runtime.send(`queue:${m.queue}`, { source: "dialplan", type: "complete", uniqueid: m.call, interface: m.interface, agent: m.name, by: "caller", holdtime: 0, talktime: seconds(m.lastCall ?? now), position: 0 });
    }
    runtime.send(id, { source: "dialplan", type: "complete", wrapuptime: 0 });
  }
  return { channels: channels.length, bridges: bridges.length, queueCallers };
}
