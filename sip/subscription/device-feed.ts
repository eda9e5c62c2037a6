/**
 * What the PJSIP driver tells the device states beyond channels (chan_pjsip's
 * devicestate callback): each endpoint is a device `PJSIP/<name>`, reachable while
 * one of its AORs has a contact that qualify has not found unreachable (a static
 * contact counts), and busy at its `device_state_busy_at`. Recomputed at start, on
 * every contact transition (register, expiry, qualify) and on `pjsip reload`.
 */
import type { ActorRuntime } from "../../actors/runtime.js";
import type { DeviceStates } from "../../calls/device-state.js";
import type { ContactContext } from "../../events/catalogue/contact.js";
import type { Endpoint, PjsipModel } from "../config/model.js";
import type { Registrar } from "../registrar/registrar.js";

export class PjsipDeviceFeed {
  private known = new Set<string>();
  /** AOR → the endpoints that use it, so a contact's change costs its endpoints only (100,000 phones re-register). */
  private byAor = new Map<string, Endpoint[]>();

  constructor(private readonly deps: { readonly devices: DeviceStates; readonly registrar: Registrar; readonly model: () => PjsipModel; readonly runtime: ActorRuntime }) {
    deps.runtime.observe("contact", (_id, state) => this.aorChanged((state.context as ContactContext).aor));
    this.sync();
  }

  /** Every endpoint again (start, reload); endpoints gone from the config stop being devices. */
  sync(): void {
    const model = this.deps.model();
    const now = new Set<string>();
    this.byAor = new Map();
    for (const e of model.endpoints.values()) {
      now.add(e.name);
      for (const aor of e.aors) {
        const list = this.byAor.get(aor);
        if (list) list.push(e); else this.byAor.set(aor, [e]);
      }
      this.update(e);
    }
    for (const name of this.known) if (!now.has(name)) this.deps.devices.driver("PJSIP", `PJSIP/${name}`, undefined);
    this.known = now;
  }

  private aorChanged(aor: string): void {
    for (const e of this.byAor.get(aor) ?? []) this.update(e);
  }

  private update(e: Endpoint): void {
    const reachable = e.aors.some((aor) => this.deps.registrar.contacts(aor).some((c) => c.context?.qualifyStatus !== "Unavail"));
    this.deps.devices.driver("PJSIP", `PJSIP/${e.name}`, { reachable, ...(e.device_state_busy_at ? { busyAt: e.device_state_busy_at } : {}) });
  }
}
