/** `pjsip show ...` console output: the view the runtime provides and the command registration. */
export { registerPjsipCommands, traverse } from "./commands.js";
export {
  type ChannelView, type ContactStatus, type ContactView, type EndpointStateView, type PjsipView, type RegistrationView,
  contactHash, contactMd5, contactObjectId,
} from "./view.js";
