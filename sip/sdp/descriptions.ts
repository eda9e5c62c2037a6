/** SDP as the call core's media description format (calls/media.ts MediaDescriptions). */
import type { MediaDescriptions } from "../../calls/media.js";
import { createAnswer, createOffer, remoteMedia } from "./offer-answer.js";

export const sdpDescriptions: MediaDescriptions = {
  answer(offer, ours) {
    const a = createAnswer(offer, ours);
    return { description: Buffer.from(a.text, "latin1"), remote: a.remote };
  },
  offer(ours) { return Buffer.from(createOffer(ours).text, "latin1"); },
  remote(answer, codecs) { return remoteMedia(answer, codecs); },
};
