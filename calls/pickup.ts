/**
 * Call pickup (Asterisk's main/pickup.c): a leg that rings because Dial called it can be
 * answered from another phone. Dial offers each of its ringing legs here and withdraws
 * them when they stop ringing; a pickup answers the picking channel and hands it to that
 * Dial as the leg that answered (the picked leg is cancelled, ANSWERED_ELSEWHERE), after
 * logging `pickup` on the picked leg (CEL PICKUP, extra pickup_channel).
 *
 * Which leg: group pickup (features.conf `pickupexten`, `Pickup()`) takes the oldest
 * ringing leg whose endpoint's call groups meet the picker's pickup groups (numeric and
 * named groups, each its own namespace); `Pickup(exten@context)` the oldest leg a Dial at
 * exten@context rings; `PickupChan(name)` a leg by channel name; an INVITE with Replaces
 * names its leg. A leg is claimed before the picker is answered, so two pickers never
 * both get it.
 */
import type { Channel } from "./channel.js";

/** An endpoint's pickup groups: numbers as "3", named groups as "name:sales". */
export interface PickupGroups { readonly call: readonly string[]; readonly pickup: readonly string[] }
export const NO_GROUPS: PickupGroups = { call: [], pickup: [] };

export type PickupTarget =
  | { readonly by: "group" }
  | { readonly by: "exten"; readonly exten: string; readonly context: string }
  | { readonly by: "name"; readonly name: string; readonly partial: boolean }
  | { readonly by: "channel"; readonly channel: Channel };

interface Offer {
  /** Where the Dial that rings the leg ran. */
  readonly exten: string;
  readonly context: string;
  /** Hand the answered picker to the Dial; false when that Dial has settled meanwhile. */
  readonly take: (picker: Channel) => boolean;
}

export class Pickups {
  /** Ringing legs in the order they began to ring. */
  readonly #ringing = new Map<Channel, Offer>();

  offer(leg: Channel, offer: Offer): void {
    if (!this.#ringing.has(leg)) this.#ringing.set(leg, offer);
  }

  withdraw(leg: Channel): void {
    this.#ringing.delete(leg);
  }

  /** Whether `leg` rings for a Dial and may be picked up. */
  offered(leg: Channel): boolean {
    return this.#ringing.has(leg) && !leg.hungUp;
  }

  /** The leg `target` names for `picker`, oldest first. */
  find(picker: Channel, target: PickupTarget): Channel | undefined {
    for (const [leg, offer] of this.#ringing) {
      if (leg.hungUp || leg === picker) continue;
      if (target.by === "channel" ? leg === target.channel
        : target.by === "group" ? picker.groups.pickup.some((g) => leg.groups.call.includes(g))
          : target.by === "exten" ? offer.exten === target.exten && offer.context === target.context
            : target.partial ? leg.name.startsWith(target.name) : leg.name === target.name) return leg;
    }
    return undefined;
  }

  /** Answer `picker` and give it `leg`'s call; false when the leg is no longer to be had. */
  async pickup(picker: Channel, leg: Channel): Promise<boolean> {
    const offer = this.#ringing.get(leg);
    if (!offer || leg.hungUp || picker.hungUp) return false;
    this.#ringing.delete(leg);
    try {
      await picker.answer();
    } catch {
      if (!leg.hungUp) this.#ringing.set(leg, offer); // the picker went away first: the leg still rings
      return false;
    }
    if (leg.hungUp) return false;
    leg.change({ type: "pickup", pickup_channel: picker.id });
    return offer.take(picker);
  }
}
