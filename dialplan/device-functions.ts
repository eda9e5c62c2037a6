/**
 * DEVICE_STATE(device), EXTENSION_STATE(exten[@context]) and HINT(exten[@context]):
 * the dialplan's view of device and extension states (func_devstate, func_extstate,
 * pbx's HINT). Writing DEVICE_STATE works for `Custom:` devices only, as in Asterisk.
 */
import type { DialplanFunction } from "./channel-functions.js";
import { findHint } from "./lookup.js";
import { listHints } from "./show.js";
import type { Dialplan } from "./model.js";
import { extensionStateName, type DeviceStates } from "../calls/device-state.js";
import type { CustomDevices } from "../calls/custom-devices.js";

/** The devices of the hint of `exten` in `context` (a pattern hint's `${EXTEN}` filled in), if there is one. */
export function hintDevices(dp: Dialplan, context: string, exten: string): string[] | undefined {
  const hint = findHint(dp, context, exten);
  if (!hint) return undefined;
  const devices = hint.app.split(",")[0].replace(/\$\{EXTEN\}/g, exten);
  return devices.split("&").map((d) => d.trim()).filter(Boolean);
}

/** func_extstate's names for the extension states. */
const EXTENSION_STATE_NAMES: Record<string, string> = {
  Idle: "NOT_INUSE", InUse: "INUSE", Busy: "BUSY", Unavailable: "UNAVAILABLE", Ringing: "RINGING",
  "InUse&Ringing": "RINGINUSE", Hold: "ONHOLD", "InUse&Hold": "HOLDINUSE",
};

export function deviceFunctions(devices: DeviceStates, custom: CustomDevices, dialplan: () => Dialplan): Map<string, DialplanFunction> {
  const where = (env: { position: { context: string } }, a: string) => {
    const [exten = "", context = env.position.context] = a.trim().split("@");
    return { exten, context };
  };
  return new Map<string, DialplanFunction>([
    ["DEVICE_STATE", {
      read: (_env, a) => devices.state(a.trim()),
      write: (env, a, value) => {
        if (!/^custom:/i.test(a.trim())) { env.warn("func_devstate.c", "DEVICE_STATE function can only be used to set 'Custom:' device state!"); return; }
        if (!custom.set(a.trim(), value)) env.warn("func_devstate.c", `Invalid device state '${value}'`);
      },
    }],
    ["EXTENSION_STATE", {
      read: (env, a) => {
        const { exten, context } = where(env, a);
        const hint = hintDevices(dialplan(), context, exten);
        return hint ? (EXTENSION_STATE_NAMES[extensionStateName(devices.extensionState(hint))] ?? "UNKNOWN") : "UNKNOWN";
      },
    }],
    ["HINT", {
      read: (env, a) => {
        const { exten, context } = where(env, a);
        return findHint(dialplan(), context, exten)?.app.split(",")[0] ?? "";
      },
    }],
  ]);
}

/** `core show hints` rows with each hint's state and watchers. */
export function showHints(dp: Dialplan, devices: DeviceStates, watchers: (key: string) => number): string {
  const rows = listHints(dp).map((h) => {
    const key = `${h.exten}@${h.context}`;
    const state = extensionStateName(devices.extensionState(h.devices));
    return `${key.padEnd(20)}: ${h.devices.join("&").padEnd(20)} State:${state.padEnd(15)} Presence:${(h.presence ?? "not_set").padEnd(15)} Watchers ${String(watchers(key)).padStart(2)}`;
  });
  return `\n    -= Registered Asterisk Dial Plan Hints =-\n${rows.map((r) => `${r}\n`).join("")}----------------\n- ${rows.length} hints registered\n`;
}
