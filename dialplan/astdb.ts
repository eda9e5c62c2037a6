/**
 * AstDB as the dialplan sees it (DB, DB_EXISTS, DB_DELETE, DB_KEYS, `database ...`):
 * family/key → value. Synchronous, because dialplan functions are read while
 * substituting; the runtime backs it with state folded from the log (every put and
 * delete an event, so it replays), and MemoryAstDb serves tests.
 */
export interface AstDb {
  get(family: string, key: string): string | undefined;
  put(family: string, key: string, value: string): void;
  /** True when the key existed. */
  del(family: string, key: string): boolean;
  /** Deletes a family, or the keys under `family/keytree`; returns how many went. */
  deltree(family: string, keytree?: string): number;
  /** Entries as `/family/key` → value, sorted, under `/prefix` when given (`database show`). */
  show(prefix?: string): Array<readonly [string, string]>;
}

function normalise(path: string): string {
  return `/${path.split("/").filter((p) => p !== "").join("/")}`;
}

export class MemoryAstDb implements AstDb {
  private readonly entries = new Map<string, string>();

  get(family: string, key: string): string | undefined {
    return this.entries.get(normalise(`${family}/${key}`));
  }

  put(family: string, key: string, value: string): void {
    this.entries.set(normalise(`${family}/${key}`), value);
  }

  del(family: string, key: string): boolean {
    return this.entries.delete(normalise(`${family}/${key}`));
  }

  deltree(family: string, keytree?: string): number {
    const prefix = normalise(keytree ? `${family}/${keytree}` : family);
    let n = 0;
    for (const k of [...this.entries.keys()]) {
      if (k === prefix || k.startsWith(`${prefix}/`)) { this.entries.delete(k); n++; }
    }
    return n;
  }

  show(prefix?: string): Array<readonly [string, string]> {
    const p = prefix ? normalise(prefix) : "";
    return [...this.entries].filter(([k]) => p === "" || k === p || k.startsWith(`${p}/`)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }
}

/** Splits DB()'s `family/key` at the first `/` (the key keeps any further ones), as Asterisk does. */
export function splitDbPath(arg: string): { family: string; key: string } | undefined {
  const slash = arg.indexOf("/");
  if (slash <= 0 || slash === arg.length - 1) return undefined;
  return { family: arg.slice(0, slash), key: arg.slice(slash + 1) };
}
