/**
 * Call legs' media through the media workers: an RTP session per anchored leg, SDP
 * offer/answer for it (sip/sdp), and the operations the dialplan needs (play, tones,
 * music on hold, bridging two legs). DTMF received as RFC 4733 is handed to the leg.
 */
import { MediaService, type PlayResult } from "../../media-workers/index.js";
import { createAnswer, createOffer, remoteMedia } from "../sdp/index.js";

export interface LegMedia {
  readonly id: string;
  /** Our SDP for this leg (an answer to its offer, or our offer). */
  readonly sdp: Buffer;
}

export class CallMedia {
  constructor(readonly service: MediaService, private readonly mohDir: string) {}

  /** A session answering `offer` (throws SdpError: 400 malformed, 488 no common codec). */
  async answer(offer: Buffer, codecs: readonly string[], onDigit: (d: string) => void): Promise<LegMedia> {
    const s = await this.open(codecs, onDigit);
    try {
      const a = createAnswer(offer, { codecs, address: s.localAddress, port: s.localPort, sessionId: s.localPort });
      await this.service.setRemote(s.id, a.remote);
      return { id: s.id, sdp: Buffer.from(a.text, "latin1") };
    } catch (e) {
      await this.service.destroySession(s.id).catch(() => undefined);
      throw e;
    }
  }

  /** A session of ours to offer to a called leg; its answer comes to `remote`. */
  async offer(codecs: readonly string[], onDigit: (d: string) => void): Promise<LegMedia> {
    const s = await this.open(codecs, onDigit);
    const o = createOffer({ codecs, address: s.localAddress, port: s.localPort, sessionId: s.localPort });
    return { id: s.id, sdp: Buffer.from(o.text, "latin1") };
  }

  /** The called leg's answer (or early-media SDP) to our offer. */
  async remote(id: string, answer: Buffer, codecs: readonly string[]): Promise<void> {
    await this.service.setRemote(id, remoteMedia(answer, codecs));
  }

  play(id: string, files: readonly string[], options: { stopOnDtmf?: string; language?: string }): Promise<PlayResult> {
    return this.service.play(id, [...files], options);
  }

  stopPlayback(id: string): Promise<void> { return this.service.stopPlayback(id); }
  tones(id: string, list: string): Promise<void> { return this.service.tones(id, list); }
  stopTones(id: string): Promise<void> { return this.service.stopTones(id); }
  moh(id: string): Promise<PlayResult> { return this.service.startMoh(id, this.mohDir); }
  bridge(a: string, b: string): Promise<void> { return this.service.bridge(a, b); }
  unbridge(id: string): Promise<void> { return this.service.unbridge(id); }
  close(id: string): Promise<void> { return this.service.destroySession(id).catch(() => undefined); }

  private async open(codecs: readonly string[], onDigit: (d: string) => void) {
    const s = await this.service.createSession({ codecs: [...codecs], symmetric: true });
    this.service.onDtmf(s.id, (e) => onDigit(e.digit));
    return s;
  }
}
