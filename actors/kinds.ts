/** Every actor kind Recall runs; the runtime and replay take this list. */
import type { ActorKindDef } from "./kind.js";
import { contactKind } from "./contact/machine.js";
import { outboundRegistrationKind } from "./outbound-registration/machine.js";
import { channelKind } from "./channel/machine.js";
import { bridgeKind } from "./bridge/machine.js";
import { astDbKind } from "./astdb/machine.js";
import { subscriptionKind } from "./subscription/machine.js";
import { messageKind } from "./message/machine.js";
import { queueKind } from "./queue/machine.js";
import { queueMemberKind } from "./queue-member/machine.js";
import { recordingKind } from "./recording/machine.js";

export const actorKinds: readonly ActorKindDef[] = [contactKind, outboundRegistrationKind, channelKind, bridgeKind, astDbKind, subscriptionKind, messageKind, queueKind, queueMemberKind, recordingKind];
