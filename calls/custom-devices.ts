/**
 * `Custom:` devices (Asterisk's func_devstate): states set by the dialplan
 * (`Set(DEVICE_STATE(Custom:lamp)=BUSY)`) or the console (`devstate change`), kept in
 * AstDB family `CustomDevstate` as Asterisk keeps them, so they are in the log,
 * replay, and survive a restart; and fed into the device states.
 */
import { isDeviceState, type DeviceState, type DeviceStates } from "./device-state.js";

/** The part of AstDB this needs (actors/astdb/astdb.ts gives it). */
export interface CustomDeviceStore {
  put(family: string, key: string, value: string): void;
  show(prefix?: string): Array<readonly [string, string]>;
}

const FAMILY = "CustomDevstate";

export class CustomDevices {
  constructor(private readonly devices: DeviceStates, private readonly store: CustomDeviceStore) {
    for (const [path, value] of store.show(FAMILY)) {
      const name = path.slice(FAMILY.length + 2);
      if (isDeviceState(value)) devices.set(`Custom:${name}`, value);
    }
  }

  /** Set `Custom:<name>` (given with or without the prefix); false for a state Asterisk does not know. */
  set(device: string, state: string): boolean {
    const name = device.replace(/^custom:/i, "");
    const s = state.trim().toUpperCase();
    if (!name || !isDeviceState(s)) return false;
    this.store.put(FAMILY, name, s);
    this.devices.set(`Custom:${name}`, s as DeviceState);
    return true;
  }

  /** Every Custom: device set, as `devstate list` shows them. */
  list(): Array<readonly [string, string]> {
    return this.store.show(FAMILY).map(([path, value]) => [`Custom:${path.slice(FAMILY.length + 2)}`, value] as const);
  }
}

/** The console's part of the command table (core/commands.ts fits it). */
export interface CommandRegistry {
  register(name: string, help: string, handler: (args: string[]) => string | Promise<string>): void;
}

/** `devstate change Custom:NAME STATE` and `devstate list`, as Asterisk's func_devstate has them. */
export function registerDevstateCommands(table: CommandRegistry, custom: CustomDevices): void {
  table.register("devstate change", "Change a custom device state", (args) => {
    const [device = "", state = ""] = args;
    if (!/^custom:/i.test(device)) return "The devstate command can only be used to set 'Custom:' device state!\n";
    if (!custom.set(device, state)) return `Invalid state '${state}'\n`;
    return `Changing ${device} to ${state.toUpperCase()}\n`;
  });
  table.register("devstate list", "List currently known custom device states", () => {
    const rows = custom.list().map(([d, s]) => `--- Name: '${d.slice("Custom:".length)}'  UI: 'Custom'  State: '${s}'\n`);
    return `\n--- Custom Device States ----------------------------------------------------\n---\n${rows.join("")}---\n------------------------------------------------------------------------------\n`;
  });
}
