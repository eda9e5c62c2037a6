/**
 * Device state (Asterisk's devicestate.c): what a device such as `PJSIP/6001` is doing
 * now, folded from the channel actors' states, and what a hint's extension is doing,
 * aggregated from its devices.
 *
 * Contract:
 * - A channel device's state is a pure fold of the channels named after it
 *   (`PJSIP/6001-00000001` belongs to `PJSIP/6001`): each channel's state maps as
 *   Asterisk's ast_state_chan2dev does (an inbound leg that is ringing is still the
 *   caller: INUSE, an outbound leg that rings is RINGING), the channels aggregate as
 *   ast_devstate_aggregate does, and a driver may add what channels cannot say: the
 *   endpoint is unreachable (UNAVAILABLE), unknown (INVALID), or busy at N calls. An
 *   answered channel whose bridge partner's phone put it on hold (the held party, as
 *   chan_pjsip marks it) counts ONHOLD.
 * - Any device may instead be fed from outside (`set`): `Custom:` devices from
 *   DEVICE_STATE(), later the states another node PUBLISHes. A fed state wins.
 * - Listeners hear a device only when its state really changes.
 * Nothing here reads a clock or does I/O: the same channel states give the same answers.
 */
import type { ActorRuntime } from "../actors/runtime.js";
import type { ChannelContext, ChannelStateValue } from "../events/catalogue/channel.js";

export const DEVICE_STATES = ["UNKNOWN", "NOT_INUSE", "INUSE", "BUSY", "INVALID", "UNAVAILABLE", "RINGING", "RINGINUSE", "ONHOLD"] as const;
export type DeviceState = typeof DEVICE_STATES[number];

export function isDeviceState(s: string): s is DeviceState {
  return (DEVICE_STATES as readonly string[]).includes(s);
}

/** The device a channel belongs to: its name without the `-<sequence>` Asterisk appends. */
export function deviceOfChannel(name: string): string {
  const dash = name.lastIndexOf("-");
  return dash > 0 ? name.slice(0, dash) : name;
}

/**
 * One channel's contribution (ast_state_chan2dev); undefined once it has hung up. An
 * answered channel held by its partner is ONHOLD (chan_pjsip's devicestate).
 */
export function channelDeviceState(value: ChannelStateValue, direction: "in" | "out", held = false): DeviceState | undefined {
  if (value === "up" && held) return "ONHOLD";
  switch (value) {
    case "down": return "NOT_INUSE";
    // An outbound leg is DOWN in Asterisk until its phone rings; Recall's "dialing" is that.
    case "dialing": return direction === "out" ? "NOT_INUSE" : "INUSE";
    case "reserved": case "ring": case "up": return "INUSE";
    // The caller hearing ringback stays in Asterisk's RING state: in use, not ringing.
    case "ringing": case "progress": return direction === "out" ? "RINGING" : "INUSE";
    case "busy": return "BUSY";
    case "hungup": case "destroyed": return undefined;
  }
}

/** Asterisk's order of precedence when states aggregate (higher wins). */
const ORDER: Record<DeviceState, number> = {
  INVALID: 0, UNKNOWN: 1, UNAVAILABLE: 2, NOT_INUSE: 3, ONHOLD: 4, RINGING: 5, INUSE: 6, BUSY: 7, RINGINUSE: 8,
};

/**
 * ast_devstate_aggregate: the highest state by ORDER, except that ringing beside
 * anything in use (INUSE, ONHOLD, BUSY) is RINGINUSE. No states at all is INVALID.
 */
export function aggregateDeviceStates(states: Iterable<DeviceState>): DeviceState {
  let result: DeviceState = "INVALID", ringing = false, inUse = false;
  for (const s of states) {
    if (s === "RINGING") ringing = true;
    else if (s === "INUSE" || s === "ONHOLD" || s === "BUSY") inUse = true;
    if (ringing && inUse) result = "RINGINUSE";
    else if (ORDER[s] > ORDER[result]) result = s;
  }
  return result;
}

/** Extension states (ast_extension_state): flags, as Asterisk numbers them. */
export const ExtensionState = { NOT_INUSE: 0, INUSE: 1, BUSY: 2, UNAVAILABLE: 4, RINGING: 8, ONHOLD: 16 } as const;

/** ast_devstate_to_extenstate. */
export function extensionStateOf(device: DeviceState): number {
  switch (device) {
    case "ONHOLD": return ExtensionState.ONHOLD;
    case "BUSY": return ExtensionState.BUSY;
    case "UNKNOWN": case "NOT_INUSE": return ExtensionState.NOT_INUSE;
    case "UNAVAILABLE": case "INVALID": return ExtensionState.UNAVAILABLE;
    case "RINGINUSE": return ExtensionState.INUSE | ExtensionState.RINGING;
    case "RINGING": return ExtensionState.RINGING;
    case "INUSE": return ExtensionState.INUSE;
  }
}

/** ast_extension_state2str: how `core show hints` and EXTENSION_STATE name a state. */
export function extensionStateName(state: number): string {
  switch (state) {
    case ExtensionState.NOT_INUSE: return "Idle";
    case ExtensionState.INUSE: return "InUse";
    case ExtensionState.BUSY: return "Busy";
    case ExtensionState.UNAVAILABLE: return "Unavailable";
    case ExtensionState.RINGING: return "Ringing";
    case ExtensionState.INUSE | ExtensionState.RINGING: return "InUse&Ringing";
    case ExtensionState.ONHOLD: return "Hold";
    case ExtensionState.INUSE | ExtensionState.ONHOLD: return "InUse&Hold";
    default: return "Unknown";
  }
}

/** What a channel driver knows of one of its devices beyond its channels. */
export interface DriverDevice {
  /** false: no contact can be reached (UNAVAILABLE). */
  readonly reachable: boolean;
  /** device_state_busy_at: BUSY once this many calls are up or ringing in (0: never). */
  readonly busyAt?: number;
}

type Listener = (device: string, state: DeviceState) => void;

interface ChannelEntry { readonly device: string; state: DeviceState; inUse: boolean }

/**
 * A device's live channels, counted by the state each contributes: the device's state is
 * then a fold of a few counters, not of every channel (a trunk carries hundreds).
 */
class DeviceChannels {
  size = 0;
  inUse = 0;
  private readonly counts = new Map<DeviceState, number>();
  add(c: ChannelEntry, sign: 1 | -1): void {
    this.size += sign;
    if (c.inUse) this.inUse += sign;
    const n = (this.counts.get(c.state) ?? 0) + sign;
    if (n) this.counts.set(c.state, n); else this.counts.delete(c.state);
  }
  /** The states at least one channel contributes (aggregation looks at which, not how many). */
  states(): Iterable<DeviceState> { return this.counts.keys(); }
}

export class DeviceStates {
  /** Live channels by actor id. */
  private readonly channels = new Map<string, ChannelEntry>();
  /** device → its channels' counts, for the fold of one device. */
  private readonly byDevice = new Map<string, DeviceChannels>();
  /** Devices a driver vouches for (PJSIP endpoints), by device name. */
  private readonly drivers = new Map<string, DriverDevice>();
  /** Techs whose devices must be known to a driver, else INVALID (PJSIP: no such endpoint). */
  private readonly driverTechs = new Set<string>();
  private readonly fed = new Map<string, DeviceState>();
  private readonly last = new Map<string, DeviceState>();
  private readonly listeners = new Set<Listener>();

  /** Hear every device whose state changes; returns the way to stop. */
  onChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A channel actor's new state (from its transition): `done` once it has ended. */
  channel(id: string, ctx: { readonly name: string; readonly direction: "in" | "out"; readonly heldBy?: string }, value: ChannelStateValue, done = false): void {
    const contribution = done ? undefined : channelDeviceState(value, ctx.direction, !!ctx.heldBy);
    const known = this.channels.get(id);
    if (!contribution) {
      if (!known) return;
      this.channels.delete(id);
      const counts = this.byDevice.get(known.device)!;
      counts.add(known, -1);
      if (!counts.size) this.byDevice.delete(known.device);
      this.changed(known.device);
      return;
    }
    const inUse = value === "up" || value === "busy" || (value === "ring" && ctx.direction === "in");
    if (known) {
      if (known.state === contribution && known.inUse === inUse) return;
      const counts = this.byDevice.get(known.device)!;
      counts.add(known, -1);
      known.state = contribution;
      known.inUse = inUse;
      counts.add(known, 1);
      this.changed(known.device);
      return;
    }
    const device = deviceOfChannel(ctx.name);
    const entry = { device, state: contribution, inUse };
    this.channels.set(id, entry);
    let counts = this.byDevice.get(device);
    if (!counts) this.byDevice.set(device, counts = new DeviceChannels());
    counts.add(entry, 1);
    this.changed(device);
  }

  /** A driver says what it knows of its device (`PJSIP/6001`); undefined: no such device any more. */
  driver(tech: string, device: string, info: DriverDevice | undefined): void {
    this.driverTechs.add(tech.toLowerCase());
    const before = this.drivers.get(device);
    if (info) this.drivers.set(device, info); else this.drivers.delete(device);
    if (before?.reachable !== info?.reachable || before?.busyAt !== info?.busyAt) this.changed(device);
  }

  /** Feed a device's state from outside (Custom:, PUBLISH); undefined hands it back to the fold. */
  set(device: string, state: DeviceState | undefined): void {
    if (state === undefined) this.fed.delete(device); else this.fed.set(device, state);
    this.changed(device);
  }

  /** The state of one device now. */
  state(device: string): DeviceState {
    const fed = this.fed.get(device);
    if (fed) return fed;
    // A Custom: device is only ever fed; never set, Asterisk calls it UNKNOWN.
    if (/^custom:/i.test(device)) return "UNKNOWN";
    const slash = device.indexOf("/");
    const tech = (slash < 0 ? device : device.slice(0, slash)).toLowerCase();
    const driver = this.drivers.get(device) ?? this.drivers.get(caseless(this.drivers, device));
    if (!driver && this.driverTechs.has(tech)) return "INVALID";
    // A technology no driver serves (SIP/ without chan_sip): Asterisk's devicestate finds no channel tech, INVALID.
    if (slash >= 0 && !driver && tech !== "local" && this.driverTechs.size > 0 && !this.byDevice.get(device)?.size) return "INVALID";
    if (driver && !driver.reachable) return "UNAVAILABLE";
    const counts = this.byDevice.get(device);
    if (!counts?.size) return slash < 0 ? "UNKNOWN" : "NOT_INUSE";
    if (driver?.busyAt && counts.inUse >= driver.busyAt) return "BUSY";
    return aggregateDeviceStates(counts.states());
  }

  /** The extension state of a hint's devices (ast_extension_state). */
  extensionState(devices: readonly string[]): number {
    return extensionStateOf(aggregateDeviceStates(devices.map((d) => this.state(d))));
  }

  private changed(device: string): void {
    const now = this.state(device);
    if (this.last.get(device) === now) return;
    this.last.set(device, now);
    for (const l of this.listeners) l(device, now);
  }
}

/** Device names compare without case for their technology (`pjsip/6001` is `PJSIP/6001`). */
function caseless(map: ReadonlyMap<string, unknown>, device: string): string {
  const slash = device.indexOf("/");
  if (slash < 0) return device;
  const rest = device.slice(slash);
  for (const k of map.keys()) if (k.endsWith(rest) && k.slice(0, k.length - rest.length).toLowerCase() === device.slice(0, slash).toLowerCase()) return k;
  return device;
}

/** Keep `devices` folded from every channel actor of `runtime`: the live ones now, then each durable transition. */
export function followChannels(runtime: ActorRuntime, devices: DeviceStates): void {
  for (const id of runtime.ids("channel")) {
    const s = runtime.state(id)!;
    devices.channel(id, s.context as ChannelContext, s.value as ChannelStateValue);
  }
  runtime.observe("channel", (id, state) => devices.channel(id, state.context as ChannelContext, state.value as ChannelStateValue, state.done === true));
}
