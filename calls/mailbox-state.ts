/**
 * Mailbox state (Asterisk's MWI state cache): new and old voice messages per mailbox
 * (`6001@default`). Fed from outside: a voicemail application when one exists, the
 * console (`recall mailbox set`), later MWI PUBLISHed by another node. Listeners hear
 * each change; a mailbox never set has no messages. With a store (AstDB family
 * `RecallMailbox`), counts are in the log and survive a restart.
 */
export interface MailboxStore {
  put(family: string, key: string, value: string): void;
  del(family: string, key: string): boolean;
  show(prefix?: string): Array<readonly [string, string]>;
}

const FAMILY = "RecallMailbox";

export interface MailboxCounts { readonly fresh: number; readonly old: number }

type Listener = (mailbox: string, counts: MailboxCounts) => void;

export class MailboxStates {
  private readonly boxes = new Map<string, MailboxCounts>();
  private readonly listeners = new Set<Listener>();

  constructor(private readonly store?: MailboxStore) {
    for (const [path, value] of store?.show(FAMILY) ?? []) {
      const [fresh, old] = value.split("/").map(Number);
      if (Number.isInteger(fresh) && Number.isInteger(old)) this.boxes.set(path.slice(FAMILY.length + 2), { fresh, old });
    }
  }

  onChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A mailbox name as Asterisk keys it: `box@context`, `@default` when no context is given. */
  static key(mailbox: string): string {
    const m = mailbox.trim();
    return m.includes("@") ? m : `${m}@default`;
  }

  set(mailbox: string, counts: MailboxCounts): void {
    const key = MailboxStates.key(mailbox);
    const before = this.boxes.get(key) ?? { fresh: 0, old: 0 };
    if (before.fresh === counts.fresh && before.old === counts.old) return;
    if (counts.fresh === 0 && counts.old === 0) { this.boxes.delete(key); this.store?.del(FAMILY, key); }
    else { this.boxes.set(key, counts); this.store?.put(FAMILY, key, `${counts.fresh}/${counts.old}`); }
    for (const l of this.listeners) l(key, counts);
  }

  get(mailbox: string): MailboxCounts {
    return this.boxes.get(MailboxStates.key(mailbox)) ?? { fresh: 0, old: 0 };
  }

  /** Several mailboxes summed, as one `new/old` state (an endpoint's `mailboxes` list). */
  summary(mailboxes: readonly string[]): string {
    let fresh = 0, old = 0;
    for (const m of mailboxes) { const c = this.get(m); fresh += c.fresh; old += c.old; }
    return `${fresh}/${old}`;
  }
}

/** `recall mailbox set MAILBOX NEW OLD` and `recall mailbox show`: the console's feed until a voicemail application exists. */
export function registerMailboxCommands(table: { register(name: string, help: string, handler: (args: string[]) => string): void }, boxes: MailboxStates): void {
  table.register("recall mailbox set", "Set a mailbox's new and old message counts (MWI)", (args) => {
    const [mailbox = "", fresh = "", old = "0"] = args;
    const n = Number(fresh), o = Number(old);
    if (!mailbox || !Number.isInteger(n) || !Number.isInteger(o) || n < 0 || o < 0) return "Usage: recall mailbox set MAILBOX[@CONTEXT] NEW [OLD]\n";
    boxes.set(mailbox, { fresh: n, old: o });
    return `Mailbox ${MailboxStates.key(mailbox)}: ${n} new, ${o} old\n`;
  });
}
