export * from "./sdp.js";
export * from "./offer-answer.js";
export { sdpDescriptions } from "./descriptions.js";
