/** SDP as the call core's media description format (calls/media.ts MediaDescriptions). */
import type { LocalSession, MediaDescriptions } from "../../calls/media.js";
import { ownBytes } from "../message/index.js";
import { createAnswer, createOffer, remoteMedia, type LocalMedia } from "./offer-answer.js";

/** Our side as SDP describes it: the origin's owner and session name are the endpoint's sdp_owner and sdp_session. */
function local({ origin, ...ours }: LocalSession): LocalMedia {
  return origin ? { ...ours, owner: origin.owner, sessionName: origin.session } : ours;
}

export const sdpDescriptions: MediaDescriptions = {
  answer(offer, ours) {
    const a = createAnswer(offer, local(ours));
    return { description: ownBytes(a.text), remote: a.remote };
  },
  offer(ours) { return ownBytes(createOffer(local(ours)).text); },
  remote(answer, codecs) { return remoteMedia(answer, codecs); },
};
