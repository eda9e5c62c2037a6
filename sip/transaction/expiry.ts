/**
 * Items that all live the same time (Timer J) expire in the order they were added: one
 * queue and one clock timer for its head serve them all, instead of a timer each.
 */
import type { Clock, Timer } from "../../core/clock.js";

export class ExpiryQueue<T extends { readonly expires: number }> {
  #items: Array<T | undefined> = [];
  #head = 0;
  #timer: Timer | undefined;

  constructor(private readonly clock: Clock, private readonly expire: (item: T) => void) {}

  get size(): number {
    return this.#items.length - this.#head;
  }

  /** Add an item; `expires` must not be earlier than that of the items already queued. */
  add(item: T): void {
    this.#items.push(item);
    if (this.#timer === undefined) this.#arm();
  }

  clear(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#items = [];
    this.#head = 0;
  }

  #arm(): void {
    const next = this.#items[this.#head];
    this.#timer = next === undefined ? undefined : this.clock.schedule(next.expires, () => this.#fire());
  }

  #fire(): void {
    const now = this.clock.now();
    const items = this.#items;
    while (this.#head < items.length && items[this.#head]!.expires <= now) {
      const item = items[this.#head]!;
      items[this.#head++] = undefined;
      this.expire(item);
    }
    if (this.#head > 1024 && this.#head * 2 > items.length) {
      this.#items = items.slice(this.#head);
      this.#head = 0;
    }
    this.#arm();
  }
}
