/**
 * channel.transition v1: one call leg (a PJSIP or Local channel), from its creation to
 * its destruction. The SIP call layer, the dialplan and Dial report what happens to
 * the leg as inputs; the state after each input is what CDR and CEL fold.
 *
 * Inputs (all with `source` and `type`):
 *   create       spawn: name, uniqueid, linkedid, tech, direction, endpoint?, callerId,
 *                context, exten, accountcode?, vars?, peer? (the channel that dialled it)
 *   ring | ringing | progress | busy | dialing   the leg's call-progress state
 *   answer
 *   newexten     context, exten, priority, app?, data?    (dialplan position; with app: the
 *                application that starts there, as AMI's Newexten: APP_START)
 *   app.start    app, data                                (an application begins)
 *   app.end      app
 *   setvar       name, value                              (channel variable; "" clears)
 *   setvars      vars {name: value}                       (several set in one turn, in order)
 *   cdr.set      field (accountcode|userfield|amaflags|peeraccount|dstchannel), value
 *   callerid     num?, name?          connected   num?, name?
 *   dial.begin   peer (channel id), dialstring
 *   dial.end     status (ANSWER|BUSY|NOANSWER|CANCEL|CONGESTION|CHANUNAVAIL|...)
 *   bridge.enter bridge, peer?         bridge.exit bridge
 *   linkedid     linkedid                                 (joined another call's linkedid)
 *   user.event   name, extra?                             (CELGenUserEvent)
 *   pickup       pickup_channel (channel id)              (this ringing leg was picked up by that
 *                                                          channel, which takes its call: CEL PICKUP)
 *   agi.command  command, result                          (an AGI program's command line and the
 *                                                          result it was answered; source "agi")
 *   local.optimize  other (the far Local half), peer?     (Local channel optimised away)
 *   local.bridge    other (the ;2 half), optimize         (this ;1 and its ;2 are called as one Local channel)
 *   transfer.blind  exten, context, bridge (bridge id), transferee (channel id)
 *                                                         (this channel blind-transferred its bridge partner)
 *   transfer.attended  bridge1, bridge2 (bridge ids), channel2, transferee, target (channel ids)
 *                                                         (this channel, in bridge1 with transferee, completed an
 *                                                          attended transfer: target, who talked to channel2 in
 *                                                          bridge2, takes its place; channel2 is this channel after
 *                                                          a DTMF atxfer, its second leg after a REFER/Replaces)
 *   hold         musicclass?                              (the phone put the call on hold: a re-INVITE with
 *                                                          a=sendonly/inactive or c=0.0.0.0)
 *   unhold                                                (the phone took it off hold: sendrecv again)
 *   held         by (channel id)                          (the bridge partner put this leg on hold: its device
 *                                                          is ONHOLD, as chan_pjsip marks the held party's)
 *   unheld                                                (taken off hold, or the holder left)
 *   dtmf         digit, direction (received|sent), durationMs?   (a DTMF digit from or to the phone)
 *   hangup       cause (Q.850 number), by? (the channel name that caused it, "dialplan/builtin", or ""),
 *                soft? (32: requested from outside the call, by the console or ARI)
 *   destroy                                               (after `h` ran: CHAN_END)
 */
import * as Schema from "effect/Schema";
import { transitionEvent } from "./common.js";

export const ChannelStateValue = Schema.Literal(
  "down", "reserved", "ring", "ringing", "progress", "busy", "dialing", "up", "hungup", "destroyed",
);
export type ChannelStateValue = Schema.Schema.Type<typeof ChannelStateValue>;

const Party = Schema.Struct({ num: Schema.String, name: Schema.String });

export const ChannelContext = Schema.Struct({
  name: Schema.String,
  uniqueid: Schema.String,
  linkedid: Schema.String,
  /** PJSIP legs, Local halves, and ARI's media channels: Snoop, externalMedia (UnicastRTP, AudioSocket). */
  tech: Schema.Literal("PJSIP", "Local", "Snoop", "UnicastRTP", "AudioSocket"),
  direction: Schema.Literal("in", "out"),
  endpoint: Schema.String,
  callerId: Party,
  connected: Party,
  /** Dialled number as it arrived (DNID), ANI and redirecting number, when known. */
  dnid: Schema.String,
  ani: Schema.String,
  rdnis: Schema.String,
  context: Schema.String,
  exten: Schema.String,
  priority: Schema.Number,
  /** The application running now, or the last one that ran, and its data. */
  app: Schema.String,
  appData: Schema.String,
  accountcode: Schema.String,
  peeraccount: Schema.String,
  amaflags: Schema.String,
  userfield: Schema.String,
  vars: Schema.Record({ key: Schema.String, value: Schema.String }),
  createdAt: Schema.Number,
  answeredAt: Schema.optional(Schema.Number),
  hungupAt: Schema.optional(Schema.Number),
  hangupCause: Schema.optional(Schema.Number),
  hangupSource: Schema.optional(Schema.String),
  dialStatus: Schema.optional(Schema.String),
  /** The channel that created this one by dialling (its id), for outbound legs. */
  parent: Schema.optional(Schema.String),
  /** The other party of the current dial or bridge (channel id). */
  peer: Schema.optional(Schema.String),
  bridge: Schema.optional(Schema.String),
  /** The leg's phone has put the call on hold (AMI Hold on this channel). */
  onHold: Schema.optional(Schema.Boolean),
  /** The channel whose phone put this leg on hold ("" once taken off): this leg's device is ONHOLD. */
  heldBy: Schema.optional(Schema.String),
});
export type ChannelContext = Schema.Schema.Type<typeof ChannelContext>;

export const ChannelTransitionV1 = transitionEvent("channel.transition", 1, "channel", ChannelStateValue, ChannelContext);
