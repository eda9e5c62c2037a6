/**
 * Variable inheritance between channels, as Asterisk's channel core does it: `_FOO` is
 * given to the channels this one creates (arriving as `FOO`), `__FOO` to all their
 * descendants too. Dial, Local channels and Originate use it; so does the dialplan.
 */

export type Inheritance = "none" | "child" | "descendants";

/** The name without its inheritance prefix (at most two underscores). */
export function bareName(name: string): string {
  return name.startsWith("__") ? name.slice(2) : name.startsWith("_") ? name.slice(1) : name;
}

export function inheritanceOf(name: string): Inheritance {
  return name.startsWith("__") ? "descendants" : name.startsWith("_") ? "child" : "none";
}

/**
 * The variables a channel created by this one starts with, from a channel's variable
 * record (ChannelContext.vars): `_FOO` arrives as `FOO`, `__FOO` stays `__FOO`, the
 * rest stays behind. What Dial, Local channels and Originate give the new channel.
 */
export function inheritedVariables(vars: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(vars)) {
    const kind = inheritanceOf(name);
    if (kind === "child") out[name.slice(1)] = value;
    else if (kind === "descendants") out[name] = value;
  }
  return out;
}
