/**
 * Hint watchers (Asterisk's extension state callbacks): who wants to hear when the
 * extension state of a hint (`6001@from-internal` → `PJSIP/6001&Custom:dnd`) changes.
 * A watcher hears only real changes of the aggregated state, in the order the device
 * changes arrive; a hint nobody watches costs nothing.
 */
import type { DeviceStates } from "./device-state.js";

export type HintWatcher = (state: number) => void;

interface WatchedHint {
  readonly devices: readonly string[];
  state: number;
  readonly watchers: Set<HintWatcher>;
}

export class HintWatchers {
  private readonly hints = new Map<string, WatchedHint>();
  /** device → keys of the watched hints that name it. */
  private readonly byDevice = new Map<string, Set<string>>();

  constructor(readonly devices: DeviceStates) {
    devices.onChange((device) => this.deviceChanged(device));
  }

  /** Start watching hint `key` made of `devices`; returns its state now and the way to stop. */
  watch(key: string, devices: readonly string[], watcher: HintWatcher): { readonly state: number; readonly stop: () => void } {
    let hint = this.hints.get(key);
    if (!hint) {
      hint = { devices: [...devices], state: this.devices.extensionState(devices), watchers: new Set() };
      this.hints.set(key, hint);
      for (const d of hint.devices) {
        let keys = this.byDevice.get(d);
        if (!keys) this.byDevice.set(d, keys = new Set());
        keys.add(key);
      }
    }
    hint.watchers.add(watcher);
    const watched = hint;
    return { state: hint.state, stop: () => this.unwatch(key, watched, watcher) };
  }

  /** How many watch hint `key` (`core show hints`' Watchers column). */
  watchers(key: string): number {
    return this.hints.get(key)?.watchers.size ?? 0;
  }

  private unwatch(key: string, hint: WatchedHint, watcher: HintWatcher): void {
    hint.watchers.delete(watcher);
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
