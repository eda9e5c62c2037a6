/** SDP as the call core's media description format (calls/media.ts MediaDescriptions). */
import type { LocalSession, MediaDescriptions } from "../../calls/media.js";
import { createAnswer, createOffer, remoteMedia, type LocalMedia } from "./offer-answer.js";

/** Our side as SDP describes it: the origin's owner and session name are the endpoint's sdp_owner and sdp_session. */
function local({ origin, ...ours }: LocalSession): LocalMedia {
  return origin ? { ...ours, owner: origin.owner, sessionName: origin.session } : ours;
}

export const sdpDescriptions: MediaDescriptions = {
  answer(offer, ours) {
    const a = createAnswer(offer, local(ours));
    return { description: Buffer.from(a.text, "latin1"), remote: a.remote };
  },
  offer(ours) { return Buffer.from(createOffer(local(ours)).text, "latin1"); },
  remote(answer, codecs) { return remoteMedia(answer, codecs); },
};
