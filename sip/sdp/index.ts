export * from "./sdp.js";
export * from "./offer-answer.js";
