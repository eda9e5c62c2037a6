/**
 * `#include` targets: a path relative to the including file's directory (or absolute),
 * possibly with shell wildcards (`*`, `?`, `[...]`) in any component, expanded in sorted
 * order like glob(3). A pattern without wildcards is returned as is, existing or not.
 */
import { readdirSync } from "node:fs";
import { isAbsolute, join, sep } from "node:path";

const WILDCARD = /[*?[]/;

export function expandIncludePattern(pattern: string, baseDir: string): string[] {
  const full = isAbsolute(pattern) ? pattern : join(baseDir, pattern);
  if (!WILDCARD.test(full)) return [full];
  const parts = full.split(sep);
  let found = [parts[0] === "" ? sep : parts[0]];
  for (const part of parts.slice(1)) {
    if (part === "") continue;
    if (!WILDCARD.test(part)) {
      found = found.map((dir) => join(dir, part));
      continue;
    }
    const matcher = wildcardRegExp(part);
    found = found.flatMap((dir) => listDir(dir).filter((n) => matcher.test(n)).sort().map((n) => join(dir, n)));
  }
  return found;
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** One path component's wildcard as a RegExp; like glob(3), `*` and `?` skip leading dots. */
function wildcardRegExp(part: string): RegExp {
  let re = "";
  for (let i = 0; i < part.length; i++) {
    const ch = part[i];
    if (ch === "*") re += "[^/]*";
    else if (ch === "?") re += "[^/]";
    else if (ch === "[") {
      const end = part.indexOf("]", i + 2);
      if (end < 0) {
        re += "\\[";
        continue;
      }
      let set = part.slice(i + 1, end);
      if (set.startsWith("!")) set = "^" + set.slice(1);
      re += "[" + set.replace(/\\/g, "\\\\") + "]";
      i = end;
    } else re += ch.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  return new RegExp(part.startsWith(".") ? `^${re}$` : `^(?!\\.)${re}$`);
}
