/**
 * Structural comparison for replay: the first path at which two values differ.
 * A missing key and an `undefined` value count as the same (msgpack drops neither
 * consistently), key order does not matter, and numbers compare exactly.
 */
export interface Difference { readonly path: string; readonly expected: unknown; readonly actual: unknown }

export function firstDifference(expected: unknown, actual: unknown, path = ""): Difference | undefined {
  if (Object.is(expected, actual)) return undefined;
  if (expected === null || actual === null || typeof expected !== "object" || typeof actual !== "object") {
    return { path: path || ".", expected, actual };
  }
  if (Array.isArray(expected) !== Array.isArray(actual)) return { path: path || ".", expected, actual };
  if (Array.isArray(expected)) {
    const a = actual as unknown[];
    const n = Math.max(expected.length, a.length);
    for (let i = 0; i < n; i++) {
      const d = firstDifference(expected[i], a[i], `${path}[${i}]`);
      if (d) return d;
    }
    return undefined;
  }
  const e = expected as Record<string, unknown>, a = actual as Record<string, unknown>;
  const keys = new Set([...Object.keys(e), ...Object.keys(a)]);
  for (const k of [...keys].sort()) {
    if (e[k] === undefined && a[k] === undefined) continue;
    const d = firstDifference(e[k], a[k], `${path}.${k}`);
    if (d) return d;
  }
  return undefined;
}
