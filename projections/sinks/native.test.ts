import { test } from "node:test";
import assert from "node:assert/strict";
import { NativeRows } from "./native.js";
import { columnsOf, type Dialect } from "./schema.js";
import type { ProjectionName } from "../projection.js";
import type { RowOrigin } from "../rows.js";

/** `n` rows of `table`, each column's value made from `seed` and the row number (a few distinct values per dictionary column). */
function rows(table: ProjectionName, n: number, seed: string): RowOrigin[] {
  return Array.from({ length: n }, (_, i) => Object.fromEntries(columnsOf[table].map(([name, kind]) => {
    switch (kind) {
      case "lc": return [name, name === "amaflags" ? "BILLING" : `${seed}-${name}-${i % 3}`];
      case "str": return [name, `${seed}-${name}-${i}${"é".repeat(i % 2)}${"x".repeat(i * 7)}`];
      case "time": return [name, 1_700_000_000_000_000 + i * 1_000_001];
      case "time?": return [name, i % 2 ? null : 1_700_000_000_000_000 + i];
      default: return [name, i * 37 + seed.length];
    }
  })) as unknown as RowOrigin);
}

for (const dialect of ["current", "legacy"] as Dialect[]) {
  for (const table of Object.keys(columnsOf) as ProjectionName[]) {
    test(`${table} (${dialect}): a cleared encoder writes the same block as a new one`, () => {
      const reused = new NativeRows(table, dialect);
      reused.add(rows(table, 300, "first")); // more rows, longer strings, other dictionary keys
      const first = Buffer.from(reused.bytes());
      reused.clear();
      const want = rows(table, 40, "second");
      reused.add(want);
      const fresh = new NativeRows(table, dialect);
      fresh.add(want);
      assert.equal(reused.count, 40);
      assert.deepEqual(reused.bytes(), fresh.bytes());
      assert.notDeepEqual(first, fresh.bytes());
      reused.clear();
      assert.equal(reused.count, 0);
    });
  }
}
