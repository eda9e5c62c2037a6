/** The pjsip.conf object model: load, look up, diff. */
export { PJSIP_FILES, type PjsipFiles, buildPjsipModel, loadPjsipConfig } from "./load.js";
export {
  type Aor, type Auth, type CollectionDiff, type DomainAlias, type Endpoint, type Global, type Identify,
  type ModelCollection, type NamedAcl, type OtherObject, type PjsipAcl, type PjsipDiagnostic, type PjsipLoadResult,
  type PjsipModel, type PjsipModelDiff, type PjsipObject, type Registration, type StaticContact, type System,
  type Transport, type WizardHint, contactsOfAor, diffPjsipModels, sameValue,
} from "./model.js";
export { aclAllows, rulesAllow } from "./acl.js";
export { type HostPort, type IpFamily, type Network, formatHostPort, formatNetwork, ipFamily, networkContains, parseHostPort, parseNetwork } from "./network.js";
export { type AclRule, type AclSpec, type DigestAlgorithm, type IdentifyMatch, type PasswordDigest, OPTION_TABLES } from "./schema.js";
export { type CallerId, type SetVar, KNOWN_CODECS } from "./values.js";
export { expandWizard } from "./wizard.js";
