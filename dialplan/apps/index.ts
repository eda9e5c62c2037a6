/**
 * The dialplan applications, by name (case-insensitive, as Asterisk looks them up).
 * Each gets the executor's environment and its substituted data, and says where the
 * dialplan goes next.
 */
import type { Application, Position } from "../executor.js";
import { basicApplications } from "./basic.js";
import { flowApplications } from "./flow.js";
import { mediaApplications } from "./media.js";
import { dialApplications } from "./dial.js";
import { agiApplications } from "./agi/index.js";
import { queueApplications } from "./queue.js";
import { voicemailApplications } from "./voicemail.js";
import { stasisApplications } from "./stasis.js";
import { pickupApplications } from "./pickup.js";

export type AppResult =
  /** Next priority. */
  | { readonly kind: "continue" }
  /** Run this position next (Goto, Gosub, Return). */
  | { readonly kind: "goto"; readonly to: Position }
  /** The application ended the call's dialplan (Asterisk's -1): hang up (with `cause` if given), then `h`. */
  | { readonly kind: "end"; readonly cause?: number }
  /** A digit ended Background/WaitExten: collect the rest and go to the extension dialled. */
  | { readonly kind: "digits"; readonly digits: string; readonly context?: string }
  /** WaitExten timed out: `t`, else `e`. */
  | { readonly kind: "response-timeout" }
  /** Go to `e` with this EXCEPTION(reason). */
  | { readonly kind: "exception"; readonly reason: string };

export const CONTINUE: AppResult = { kind: "continue" };
export const END: AppResult = { kind: "end" };

const registry = new Map<string, Application>();
for (const group of [basicApplications, flowApplications, mediaApplications, dialApplications, agiApplications, queueApplications, voicemailApplications, stasisApplications, pickupApplications]) {
  for (const [name, app] of Object.entries(group)) registry.set(name.toLowerCase(), app);
}

export function findApplication(name: string): Application | undefined {
  return registry.get(name.toLowerCase());
}

/** Names of the built-in applications, for `core show applications`. */
export function applicationNames(): string[] {
  return Object.entries({ ...basicApplications, ...flowApplications, ...mediaApplications, ...dialApplications, ...agiApplications, ...queueApplications, ...voicemailApplications, ...stasisApplications }).map(([n]) => n).sort();
}
