/**
 * The Asterisk database (AstDB) over astdb actors: every put and delete is an event,
 * so DB() in the dialplan and `database put` replay like everything else. Keys are
 * `family/key` (a family may itself contain slashes, as in Asterisk).
 */
import type { ActorRuntime } from "../runtime.js";
import { astDbId } from "./machine.js";

type Source = "dialplan" | "cli" | "ami" | "test";

export class AstDb {
  constructor(private readonly runtime: ActorRuntime) {}

  get(family: string, key: string): string | undefined {
    const s = this.runtime.state(astDbId(family, key));
    return s ? (s.context as { value: string }).value : undefined;
  }

  put(family: string, key: string, value: string, source: Source = "dialplan"): void {
    const id = astDbId(family, key);
    const input = { source, type: "put" as const, family, key, value };
    if (this.runtime.has(id)) this.runtime.send(id, input);
    else this.runtime.spawn("astdb", id, input);
  }

  /** Delete one key; false when it did not exist. */
  del(family: string, key: string, source: Source = "dialplan"): boolean {
    return this.runtime.send(astDbId(family, key), { source, type: "del" }) !== undefined;
  }

  /** Delete every key of a family, or of `family/keytree`; how many went. */
  deltree(family: string, keytree?: string, source: Source = "dialplan"): number {
    const keys = this.entries(keytree ? `${family}/${keytree}` : family);
    for (const e of keys) this.del(e.family, e.key, source);
    return keys.length;
  }

  /** `/family/key` → value under `/prefix`, sorted (the dialplan's view). */
  show(prefix?: string): Array<readonly [string, string]> {
    return this.entries(prefix).map((e) => [`/${e.family}/${e.key}`, e.value] as const);
  }

  /** Entries whose `/family/key` starts with `/prefix`, sorted as `database show` lists them. */
  entries(prefix = ""): { family: string; key: string; value: string }[] {
    const want = prefix ? `/${prefix.replace(/^\/+|\/+$/g, "")}` : "";
    const out: { family: string; key: string; value: string }[] = [];
    for (const id of this.runtime.ids("astdb")) {
      const c = this.runtime.state(id)!.context as { family: string; key: string; value: string };
      const path = `/${c.family}/${c.key}`;
      if (!want || path === want || path.startsWith(`${want}/`)) out.push(c);
    }
    return out.sort((a, b) => `/${a.family}/${a.key}`.localeCompare(`/${b.family}/${b.key}`));
  }
}
