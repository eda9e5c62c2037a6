/**
 * message.transition v1: one SIP MESSAGE (RFC 3428) taken into the dialplan, as
 * Asterisk runs it on its `Message/ast_msg_queue` channel: from its arrival, through
 * every dialplan step it takes at the endpoint's `message_context`, to its end. Each
 * MessageSend() is an output (`message.send`), so every message Recall sends is in the log.
 *
 * Inputs:
 *   receive      spawn: uniqueid, endpoint, from, to, body, contentType, context, exten[, variables]
 *   newexten     context, exten, priority        app.start  app, data    app.end  app
 *   setvar       name, value                     setvars    vars
 *   setfield     field (to|from|body|custom key), value   (MESSAGE()/MESSAGE_DATA() writes)
 *   send         to, from, body, uri, destination  → message.send output, MESSAGE_SEND_STATUS=SUCCESS
 *   send.failed  to, status (INVALID_PROTOCOL, INVALID_URI, FAILURE)
 *   end
 */
import * as Schema from "effect/Schema";
import { transitionEvent } from "./common.js";

export const MessageContext = Schema.Struct({
  uniqueid: Schema.String,
  endpoint: Schema.String,
  from: Schema.String,
  to: Schema.String,
  body: Schema.String,
  contentType: Schema.String,
  /** MESSAGE_DATA() values (custom headers). */
  data: Schema.Record({ key: Schema.String, value: Schema.String }),
  context: Schema.String,
  exten: Schema.String,
  priority: Schema.Number,
  app: Schema.String,
  appData: Schema.String,
  vars: Schema.Record({ key: Schema.String, value: Schema.String }),
  createdAt: Schema.Number,
  sent: Schema.Number,
});
export type MessageContext = Schema.Schema.Type<typeof MessageContext>;

export const MessageTransitionV1 = transitionEvent("message.transition", 1, "message", Schema.Literal("routing", "done"), MessageContext);
