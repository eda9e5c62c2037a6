/**
 * What the `pjsip show ...` commands read: the configuration model plus the runtime
 * state the registrar, qualify and outbound registration actors keep. The runtime
 * implements PjsipView; the formatters only read it, so they stay pure text functions.
 */
import { createHash } from "node:crypto";
import type { PjsipModel } from "../config/model.js";

/** Asterisk's short contact status labels (pjsip_options.c). */
export type ContactStatus = "Avail" | "Unavail" | "NonQual" | "Unknown";

/** One contact of an AOR: a registered binding or a permanent `contact=` of the aor. */
export interface ContactView {
  readonly aor: string;
  readonly uri: string;
  /** From the aor's `contact=` line (Asterisk id `aor@@md5`), else registered (`aor;@md5`). */
  readonly static: boolean;
  /** Qualify result; NonQual when the AOR has no qualify_frequency. */
  readonly status: ContactStatus;
  /** Round trip of the last qualify, milliseconds; printed only when Avail. */
  readonly rttMs?: number;
  /** When the binding lapses, µs since the epoch; absent for static contacts. */
  readonly expiresAt?: number;
  readonly userAgent?: string;
  /** The endpoint that registered it. */
  readonly endpoint?: string;
  /** Where the REGISTER came from (its Via/source address and port). */
  readonly viaAddr?: string;
  readonly viaPort?: number;
  readonly callId?: string;
  /** The Path header kept when the aor has support_path. */
  readonly path?: string;
}

/** The state of one outbound registration. */
export interface RegistrationView {
  readonly name: string;
  /** "Unregistered", "Registered", "Rejected", "Stopping" or "Stopped". */
  readonly status: string;
  /** When the next REGISTER (or retry) is due, µs; printed as "(exp. Ns)" / "(exp. Ns ago)". */
  readonly nextRegAt?: number;
}

/** A channel of an endpoint, as `pjsip show endpoint` lists it. */
export interface ChannelView {
  /** "PJSIP/6001-00000001". */
  readonly name: string;
  /** The dialplan application it runs ("Dial", "" when none). */
  readonly application: string;
  /** Asterisk's channel state word: "Up", "Ringing", "Ring", "Down"... */
  readonly state: string;
  /** When the channel was created, µs. */
  readonly createdAt: number;
  readonly exten: string;
  readonly connectedName: string;
  readonly connectedNumber: string;
}

export interface EndpointStateView {
  /** Asterisk's device state words: "Unavailable", "Not in use", "In use", "Busy", "Ringing"... */
  readonly state: string;
  readonly channels: readonly ChannelView[];
}

export interface PjsipView {
  /** The configuration in force (a function, so a reload is seen). */
  model(): PjsipModel;
  /** Every contact: registered ones and the static ones of `model().contacts`, with their status. */
  contacts(): readonly ContactView[];
  /** The state of the outbound registrations the runtime runs. */
  registrations(): readonly RegistrationView[];
  endpointState(name: string): EndpointStateView;
  /** Wall time, µs. */
  now(): number;
}

/** The MD5 Asterisk names a contact by: over its URI exactly as stored. */
export function contactMd5(uri: string): string {
  return createHash("md5").update(uri).digest("hex");
}

/** The contact "hash" `pjsip show contacts` prints: the first 10 hex digits of contactMd5. */
export function contactHash(uri: string): string {
  return contactMd5(uri).slice(0, 10);
}

/** Asterisk's sorcery id of a contact: `aor;@md5` when registered, `aor@@md5` when static. */
export function contactObjectId(aor: string, uri: string, isStatic: boolean): string {
  return `${aor}${isStatic ? "@@" : ";@"}${contactMd5(uri)}`;
}
