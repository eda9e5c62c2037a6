/**
 * Pickup([exten[@context]][&...]) and PickupChan(channel[&channel...][,p]): answer a call
 * that rings another phone (app_directed_pickup). Pickup() with no target takes the
 * oldest ringing leg of the channel's pickup groups; `exten@context` one a Dial at that
 * place rings (the channel's own context when none is given); PickupChan a leg by
 * channel name (`p`: by the start of its name). The picking channel is answered and
 * talks to the caller until the call ends, then its dialplan ends (Asterisk's -1);
 * with nothing to pick up, a NOTICE and the next priority.
 */
import type { PickupTarget } from "../../calls/pickup.js";
import type { Application, ExecutionEnv } from "../executor.js";
import { splitArguments } from "../functions.js";
import { CONTINUE, END, type AppResult } from "./index.js";

async function pickFirst(env: ExecutionEnv, targets: readonly PickupTarget[], describe: string): Promise<AppResult> {
  for (const target of targets) {
    if (await env.guard(() => env.channel.pickup(target))) {
      // The call is this channel's now: stay until it ends.
      await env.guard(() => new Promise<void>((resolve) => {
        if (env.channel.signal.aborted) resolve();
        else env.channel.signal.addEventListener("abort", () => resolve(), { once: true });
      }));
      return END;
    }
  }
  env.channel.log("NOTICE", "app_directed_pickup.c", `No target channel found for ${describe}.`);
  return CONTINUE;
}

const Pickup: Application = (env, data) => {
  const own = env.channel.context().context;
  const targets: PickupTarget[] = data.trim() === "" ? [{ by: "group" }] : data.split("&").map((t) => t.trim()).filter(Boolean).map((t) => {
    const at = t.indexOf("@");
    return { by: "exten", exten: at < 0 ? t : t.slice(0, at), context: at < 0 ? own : t.slice(at + 1) } as const;
  });
  return pickFirst(env, targets, data.trim() || "the pickup groups");
};

const PickupChan: Application = (env, data) => {
  const [names = "", options = ""] = splitArguments(data);
  const partial = options.includes("p");
  const list = names.split("&").map((n) => n.trim()).filter(Boolean);
  if (list.length === 0) { env.warn("app_directed_pickup.c", "PickupChan requires an argument (channel)!"); return Promise.resolve(CONTINUE); }
  return pickFirst(env, list.map((name) => ({ by: "name", name, partial }) as const), names);
};

export const pickupApplications: Readonly<Record<string, Application>> = { Pickup, PickupChan };
