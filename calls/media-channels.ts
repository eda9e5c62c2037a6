/**
 * Media channels: channels with no far end to signal, whose media session's far end is
 * something other than a phone. Asterisk's Snoop channel (another channel's audio) and
 * its externalMedia channels (UnicastRTP: an RTP peer at a UDP address; AudioSocket: a
 * TCP AudioSocket service). They are up from the start; whoever made them (ARI) runs
 * them in an application and hangs them up; hanging up closes their media.
 *
 * Their actors log like any channel's (create, answer, bridge, hang-up, destroy), so a
 * call that used them replays; the media itself is not replayed, as for every channel.
 */
import type { Channel } from "./channel.js";
import type { CallCore } from "./core.js";
import type { RemoteInfo } from "../media-workers/index.js";

export interface MediaChannelSpec {
  readonly tech: "Snoop" | "UnicastRTP" | "AudioSocket";
  /** The name's resource: the snooped channel's unique id, the far end's host:port. */
  readonly resource: string;
  readonly uniqueid?: string;
  readonly linkedid?: string;
  readonly vars?: Record<string, string>;
  /** The session's codec (slin for AudioSocket, the externalMedia format for RTP). */
  readonly codec: "ulaw" | "alaw" | "slin";
  /** A session whose worker the new one must share (the snooped channel's). */
  readonly near?: string;
}

/**
 * A media channel, up, with its own media session; `connect` gives the session its far
 * end and may name variables the channel starts with (on failure the session is closed
 * and nothing is left behind).
 */
export async function createMediaChannel(core: CallCore, spec: MediaChannelSpec,
  connect: (session: { id: string; localAddress: string; localPort: number }) => Promise<Record<string, string> | void>): Promise<Channel> {
  const service = core.media.service;
  const session = await service.createSession({ codecs: [spec.codec], ...(spec.near ? { near: spec.near } : {}) });
  let vars: Record<string, string> = { ...spec.vars };
  try {
    vars = { ...vars, ...(await connect(session)) };
  } catch (e) {
    await service.destroySession(session.id).catch(() => undefined);
    throw e;
  }
  const channel = core.createChannel({ tech: spec.tech, resource: spec.resource, codecs: [spec.codec] }, "out", {
    callerId: { num: "", name: "" }, context: "default", exten: "s",
    ...(spec.uniqueid ? { uniqueid: spec.uniqueid } : {}), ...(spec.linkedid ? { linkedid: spec.linkedid } : {}),
    ...(Object.keys(vars).length ? { vars } : {}),
  });
  channel.media = session.id;
  channel.change({ type: "answer" }, "ari");
  return channel;
}

/** Where an externalMedia RTP channel sends: `host:port` in `codec` (its static payload type, 118 for slin). */
export function unicastRemote(host: string, port: number, codec: "ulaw" | "alaw" | "slin"): RemoteInfo {
  return { address: host, port, codec, payloadType: codec === "ulaw" ? 0 : codec === "alaw" ? 8 : 118 };
}
