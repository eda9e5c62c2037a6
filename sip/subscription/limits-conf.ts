/**
 * recall.conf `[subscriptions]`: the bounds on SUBSCRIBE (Asterisk has none to copy).
 *
 *   [subscriptions]
 *   max_subscriptions = 100000   ; live subscriptions at most (503 beyond)
 *   rate_per_source = 500        ; new subscriptions a second from one address
 *   burst_per_source = 2000      ; ... and how many it may send at once
 *
 * A bad value is an error naming file, line and option; the defaults stand for it.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ConfError, parseConfFile } from "../../conf/tokenizer.js";
import { DEFAULT_SUBSCRIPTION_LIMITS, type SubscriptionLimits } from "./subscriptions.js";

export function loadSubscriptionLimits(configDir: string): { limits: SubscriptionLimits; errors: ConfError[] } {
  const path = join(configDir, "recall.conf");
  const errors: ConfError[] = [];
  if (!existsSync(path)) return { limits: DEFAULT_SUBSCRIPTION_LIMITS, errors };
  let { maxSubscriptions, ratePerSecond, burst } = DEFAULT_SUBSCRIPTION_LIMITS;
  for (const section of parseConfFile(path).sections) {
    if (section.name !== "subscriptions") continue;
    for (const e of section.entries) {
      const n = Number(e.value);
      if (!Number.isInteger(n) || n < 1) { errors.push(new ConfError(e.file, e.line, `[subscriptions] ${e.key}: a positive whole number`)); continue; }
      switch (e.key) {
        case "max_subscriptions": maxSubscriptions = n; break;
        case "rate_per_source": ratePerSecond = n; break;
        case "burst_per_source": burst = n; break;
        default: errors.push(new ConfError(e.file, e.line, `[subscriptions] ${e.key}: unknown option`));
      }
    }
  }
  return { limits: { maxSubscriptions, ratePerSecond, burst }, errors };
}
