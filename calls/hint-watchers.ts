/**
 * Hint watchers (Asterisk's extension state callbacks): who wants to hear when the
 * extension state of a hint (`6001@from-internal` → `PJSIP/6001&Custom:dnd`) changes.
 * A watcher hears only real changes of the aggregated state, in the order the device
 * changes arrive; a hint nobody watches costs nothing.
 */
import type { DeviceStates } from "./device-state.js";

export type HintWatcher = (state: number) => void;

interface WatchedHint {
  readonly key: string;
  readonly devices: readonly string[];
  state: number;
  readonly watchers: Set<HintWatcher>;
}

export class HintWatchers {
  /** By `key` and devices: after a dialplan reload one hint may be watched with its old and its new devices. */
  private readonly hints = new Map<string, WatchedHint>();
  /** device → internal keys of the watched hints that name it. */
  private readonly byDevice = new Map<string, Set<string>>();
  /** Watchers per hint key, for `core show hints`. */
  private readonly counts = new Map<string, number>();

  constructor(readonly devices: DeviceStates) {
    devices.onChange((device) => this.deviceChanged(device));
  }

  /** Start watching hint `key` made of `devices`; returns its state now and the way to stop. */
  watch(key: string, devices: readonly string[], watcher: HintWatcher): { readonly state: number; readonly stop: () => void } {
    const internal = `${key}\n${devices.join("&")}`;
    let hint = this.hints.get(internal);
    if (!hint) {
      hint = { key, devices: [...devices], state: this.devices.extensionState(devices), watchers: new Set() };
      this.hints.set(internal, hint);
      for (const d of hint.devices) {
        let keys = this.byDevice.get(d);
        if (!keys) this.byDevice.set(d, keys = new Set());
        keys.add(internal);
      }
    }
    if (!hint.watchers.has(watcher)) this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    hint.watchers.add(watcher);
    const watched = hint;
    return { state: hint.state, stop: () => this.unwatch(internal, watched, watcher) };
  }

  /** How many watch hint `key` (`core show hints`' Watchers column). */
  watchers(key: string): number {
    return this.counts.get(key) ?? 0;
  }

  private unwatch(key: string, hint: WatchedHint, watcher: HintWatcher): void {
    if (!hint.watchers.delete(watcher)) return;
    const n = (this.counts.get(hint.key) ?? 1) - 1;
    if (n > 0) this.counts.set(hint.key, n); else this.counts.delete(hint.key);
    if (hint.watchers.size || this.hints.get(key) !== hint) return;
    this.hints.delete(key);
    for (const d of hint.devices) {
      const keys = this.byDevice.get(d);
      keys?.delete(key);
      if (keys && !keys.size) this.byDevice.delete(d);
    }
  }

  private deviceChanged(device: string): void {
    const keys = this.byDevice.get(device);
    if (!keys) return;
    for (const key of keys) {
      const hint = this.hints.get(key)!;
      const state = this.devices.extensionState(hint.devices);
      if (state === hint.state) continue;
      hint.state = state;
      for (const w of [...hint.watchers]) w(state);
    }
  }
}
