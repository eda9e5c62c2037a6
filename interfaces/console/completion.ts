/**
 * Tab completion for the interactive console: the running instance's commands (from its
 * `core show help`), completed a word at a time as Asterisk's console does.
 */

/** The command word lists in `core show help` output (`  words -- summary`). */
export function commandsFromHelp(help: string): string[][] {
  return help.split("\n").map((l) => /^\s*(.+?) -- /.exec(l)?.[1]).filter((c): c is string => !!c).map((c) => c.trim().split(/\s+/));
}

/** readline's completer: the words that can follow what is typed, and the partial word they replace. */
export function complete(commands: readonly string[][], line: string): [string[], string] {
  const words = line.replace(/^\s+/, "").split(/\s+/);
  const partial = words.pop() ?? "";
  const done = words.map((w) => w.toLowerCase());
  const next = new Set<string>();
  for (const c of commands) {
    if (c.length <= done.length || !done.every((w, i) => c[i].toLowerCase() === w)) continue;
    if (c[done.length].toLowerCase().startsWith(partial.toLowerCase())) next.add(c[done.length]);
  }
  const hits = [...next].sort();
  // One hit: complete it and add the space before the next word.
  return [hits.length === 1 ? [`${hits[0]} `] : hits, partial];
}
