/**
 * Variables: channel variables, globals and their inheritance, as immutable values an
 * actor can keep in its state and a replay can rebuild.
 *
 * A variable keeps the name it was set with: `_FOO` is inherited by the channels this
 * one creates (as plain `FOO`), `__FOO` by all descendants (staying `__FOO`). Either way
 * it reads as `${FOO}`, and setting `FOO`, `_FOO` or `__FOO` replaces the others.
 * Names are case-sensitive.
 */

export interface Variable {
  /** The name as set, with any inheritance prefix. */
  readonly name: string;
  readonly value: string;
}

/** A channel's (or the globals') variables, most recently set first, as Asterisk lists them. */
export type VariableList = readonly Variable[];

import { bareName, inheritanceOf } from "../calls/variables.js";
export { bareName, inheritanceOf, inheritedVariables, type Inheritance } from "../calls/variables.js";

/** The value of a variable by its bare name, or undefined when unset. */
export function getVariable(list: VariableList, name: string): string | undefined {
  for (const v of list) if (bareName(v.name) === name) return v.value;
  return undefined;
}

/**
 * Sets a variable (`value` undefined removes it). An empty string is a value: the
 * variable exists and reads as empty, as after `Set(FOO=)`.
 */
export function setVariable(list: VariableList, name: string, value: string | undefined): VariableList {
  const bare = bareName(name);
  const at = list.findIndex((v) => bareName(v.name) === bare);
  const rest = at < 0 ? list : [...list.slice(0, at), ...list.slice(at + 1)];
  return value === undefined ? rest : [{ name, value }, ...rest];
}

/** Builds a list by setting each pair in order (e.g. the `[globals]` section). */
export function variablesFrom(pairs: Iterable<readonly [string, string]>): VariableList {
  let list: VariableList = [];
  for (const [name, value] of pairs) list = setVariable(list, name, value);
  return list;
}

/**
 * The variables a new channel (Dial target, Local channel, originate) starts with:
 * `_FOO` arrives as `FOO` (inherited no further), `__FOO` arrives as `__FOO`.
 */
export function inheritVariables(parent: VariableList): VariableList {
  const out: Variable[] = [];
  for (const v of parent) {
    const kind = inheritanceOf(v.name);
    if (kind === "child") out.push({ name: v.name.slice(1), value: v.value });
    else if (kind === "descendants") out.push(v);
  }
  return out;
}

/** Where `${NAME}` looks, in order: built-ins, the channel's variables, the globals. */
export interface VariableScope {
  /**
   * Values the runtime computes for the channel and that a `Set` cannot shadow:
   * EXTEN, CONTEXT, PRIORITY, CHANNEL, UNIQUEID, HANGUPCAUSE, EPOCH, CALLINGPRES, ...
   * Undefined means "not a built-in".
   */
  readonly builtin?: (name: string) => string | undefined;
  readonly channel?: VariableList;
  readonly globals?: VariableList;
}

export function lookupVariable(scope: VariableScope, name: string): string | undefined {
  return scope.builtin?.(name)
    ?? (scope.channel && getVariable(scope.channel, name))
    ?? (scope.globals && getVariable(scope.globals, name));
}

/** Splits `NAME=value` as Set() does (at the first `=`); undefined when there is no `=`. */
export function parseAssignment(text: string): { readonly name: string; readonly value: string } | undefined {
  const eq = text.indexOf("=");
  return eq < 0 ? undefined : { name: text.slice(0, eq), value: text.slice(eq + 1) };
}
