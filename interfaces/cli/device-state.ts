/**
 * Device state for queue members, as Asterisk's devicestate core derives it: a PJSIP
 * endpoint with no reachable contact is Unavailable; one with a live channel is In
 * use (answered) or Ringing (being called); otherwise Not in use. Local channels are
 * Not in use (as chan_local reports them with no channel up); other technologies Unknown.
 */
import type { ActorRuntime } from "../../actors/runtime.js";
import type { DeviceState } from "../../actors/queue/service.js";

export function deviceStates(runtime: ActorRuntime, contacts: (endpoint: string) => string): (iface: string) => DeviceState {
  return (iface) => {
    const slash = iface.indexOf("/");
    const tech = iface.slice(0, slash).toLowerCase();
    if (tech !== "pjsip" && tech !== "local") return "UNKNOWN";
    let ringing = false;
    const prefix = `${iface}-`;
    for (const id of runtime.ids("channel")) {
      const s = runtime.state(id)!;
      const c = s.context as { name: string };
      if (!c.name.startsWith(prefix)) continue;
      if (s.value === "up") return "INUSE";
      if (s.value !== "hungup" && s.value !== "destroyed") ringing = true;
    }
    if (ringing) return "RINGING";
    if (tech === "pjsip" && contacts(iface.slice(slash + 1)) === "") return "UNAVAILABLE";
    return "NOT_INUSE";
  };
}
