/** What ARI's resources share: the live side (stasis.ts), the call core, and the PBX around them. */
import { randomHex, type Random } from "../../core/random.js";
import type { Channel } from "../../calls/channel.js";
import type { CallCore } from "../../calls/core.js";
import type { Logger } from "../../core/logger.js";
import type { AriConf } from "./ari-conf.js";
import type { AriStasis } from "./stasis.js";
import { AriError } from "./rest.js";

export interface AriEndpoint {
  readonly technology: string;
  readonly resource: string;
  /** online, offline, unknown. */
  readonly state: string;
}

export interface AriDeps {
  readonly conf: AriConf;
  readonly core: CallCore;
  readonly random: Random;
  readonly logger: Logger;
  readonly version: string;
  readonly systemName: string;
  /** Microseconds since the epoch, from the clock: when Recall started and last reloaded. */
  readonly startedAt: number;
  /** The endpoints of every channel technology (PJSIP's from pjsip.conf). */
  readonly endpoints: () => readonly AriEndpoint[];
  /** Dialplan globals (GLOBAL()), read and written by /asterisk/variable. */
  readonly globals?: Map<string, string>;
  /** Stored recordings (Asterisk's /var/spool/asterisk/recording). */
  readonly recordingDir: string;
  /** Sounds (Asterisk's /var/lib/asterisk/sounds). */
  readonly soundsDir: string;
  /** Sends a SIP MESSAGE to an endpoint (endpoints/sendMessage); absent: 501. */
  readonly sendMessage?: (to: string, from: string, body: string, variables: Record<string, string>) => Promise<void>;
}

export interface AriContext extends AriDeps {
  readonly stasis: AriStasis;
}

/** A new id as Asterisk makes them: a UUID-shaped hex string (from the injected random). */
export function newId(random: Random): string {
  return [8, 4, 4, 4, 12].map((n) => randomHex(random, n / 2)).join("-");
}

export function liveChannel(ctx: AriContext, id: string): Channel {
  const channel = ctx.core.byUniqueid(id);
  if (!channel || channel.hungUp) throw new AriError(404, "Channel not found");
  return channel;
}

/** A channel that must be in an application for this operation (409 otherwise). */
export function stasisChannel(ctx: AriContext, id: string): Channel {
  const channel = liveChannel(ctx, id);
  if (!ctx.stasis.inStasis.has(id)) throw new AriError(409, "Channel not in Stasis application");
  return channel;
}
