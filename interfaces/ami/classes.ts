/**
 * AMI permission classes (manager.conf `read=`/`write=`): what a user may receive
 * (events of a class) and do (actions requiring a class). `all` is every class.
 */
export const AMI_CLASSES = [
  "system", "call", "log", "verbose", "command", "agent", "user", "config", "dtmf", "reporting", "cdr", "dialplan",
  "originate", "agi", "cc", "aoc", "test", "security", "message",
] as const;

export type AmiClass = (typeof AMI_CLASSES)[number];

const known = new Set<string>(AMI_CLASSES);

/**
 * `read = system,call,log` → the set of classes; `all` expands to every class, `none`
 * (or an empty value) to none. Unknown words are returned apart so the caller can
 * name them with their file and line.
 */
export function parseClasses(value: string): { classes: Set<AmiClass>; unknown: string[] } {
  const classes = new Set<AmiClass>();
  const unknown: string[] = [];
  for (const raw of value.split(",")) {
    const word = raw.trim().toLowerCase();
    if (!word || word === "none") continue;
    if (word === "all") for (const c of AMI_CLASSES) classes.add(c);
    else if (known.has(word)) classes.add(word as AmiClass);
    else unknown.push(word);
  }
  return { classes, unknown };
}

/** The `Privilege:` header of an event of these classes: `call,all`, as Asterisk writes it. */
export function privilegeHeader(classes: readonly AmiClass[]): string {
  return [...classes, "all"].join(",");
}
