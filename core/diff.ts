/**
 * Structural comparison for replay: the first path at which two values differ.
 * A missing key and an `undefined` value count as the same (msgpack drops neither
 * consistently), key order does not matter, and numbers compare exactly.
 */
export interface Difference { readonly path: string; readonly expected: unknown; readonly actual: unknown }

export function firstDifference(expected: unknown, actual: unknown, path = ""): Difference | undefined {
  // Nearly every comparison finds nothing: decide that without building paths or sorting keys.
  if (same(expected, actual)) return undefined;
  return locate(expected, actual, path);
}

/** Whether the two values compare equal under the rules above, allocating nothing. */
function same(expected: unknown, actual: unknown): boolean {
  if (Object.is(expected, actual)) return true;
  if (expected === null || actual === null || typeof expected !== "object" || typeof actual !== "object") return false;
  const array = Array.isArray(expected);
  if (array !== Array.isArray(actual)) return false;
  if (array) {
    const e = expected as unknown[], a = actual as unknown[];
    if (e.length !== a.length) {
      // Positions past the shorter one compare as undefined (a missing element is an undefined one).
      const n = Math.max(e.length, a.length);
      for (let i = 0; i < n; i++) if (!same(e[i], a[i])) return false;
      return true;
    }
    for (let i = 0; i < e.length; i++) if (!same(e[i], a[i])) return false;
    return true;
  }
  const e = expected as Record<string, unknown>, a = actual as Record<string, unknown>;
  for (const k in e) if (!same(e[k], a[k])) return false;
  for (const k in a) if (!(k in e) && a[k] !== undefined) return false;
  return true;
}

function locate(expected: unknown, actual: unknown, path: string): Difference | undefined {
  if (Object.is(expected, actual)) return undefined;
  if (expected === null || actual === null || typeof expected !== "object" || typeof actual !== "object") {
    return { path: path || ".", expected, actual };
  }
  if (Array.isArray(expected) !== Array.isArray(actual)) return { path: path || ".", expected, actual };
  if (Array.isArray(expected)) {
    const a = actual as unknown[];
    const n = Math.max(expected.length, a.length);
    for (let i = 0; i < n; i++) {
      const d = locate(expected[i], a[i], `${path}[${i}]`);
      if (d) return d;
    }
    return undefined;
  }
  const e = expected as Record<string, unknown>, a = actual as Record<string, unknown>;
  const keys = new Set([...Object.keys(e), ...Object.keys(a)]);
  for (const k of [...keys].sort()) {
    if (e[k] === undefined && a[k] === undefined) continue;
    const d = locate(e[k], a[k], `${path}.${k}`);
    if (d) return d;
  }
  return undefined;
}
