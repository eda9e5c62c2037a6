/**
 * sipp scenarios for subscriptions: a phone that SUBSCRIBEs (answering the digest
 * challenge), checks each NOTIFY's Subscription-State and body against the states it
 * expects, and unsubscribes. Fields: [field0] user, [field1] password.
 */
import { send } from "./xml.js";

const escape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

export interface SubscriberOptions {
  readonly exten: string;
  readonly event: string;
  readonly accept: string;
  readonly expires?: number;
  /** A regexp each NOTIFY body must match, in order (after the first, one per state change). */
  readonly bodies: readonly string[];
  /** Unsubscribe after the last expected NOTIFY, and expect the final terminated one, whose body matches `final`. */
  readonly unsubscribe?: boolean;
  readonly final?: string;
  /** Before unsubscribing, refresh (Expires: 300) and expect a NOTIFY whose body matches this, active;expires=300. */
  readonly refresh?: string;
}

export function subscriber(o: SubscriberOptions): string {
  const subscribe = (auth: boolean, expires: number, toTag: boolean) => send([
    `SUBSCRIBE sip:${o.exten}@[remote_ip]:[remote_port] SIP/2.0`,
    "Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]",
    "From: <sip:[field0]@[remote_ip]>;tag=[pid]SIPpTag[call_number]",
    `To: <sip:${o.exten}@[remote_ip]>${toTag ? ";tag=[$totag]" : ""}`,
    "Call-ID: [call_id]",
    "CSeq: [cseq] SUBSCRIBE",
    "Contact: <sip:[field0]@[local_ip]:[local_port]>",
    "Max-Forwards: 70",
    `Event: ${o.event}`,
    `Accept: ${o.accept}`,
    `Expires: ${expires}`,
    ...(auth ? ['[authentication username="[field0]" password="[field1]"]'] : []),
  ]);
  const ok = send(["SIP/2.0 200 OK", "[last_Via:]", "[last_From:]", "[last_To:]", "[last_Call-ID:]", "[last_CSeq:]", "Contact: <sip:[field0]@[local_ip]:[local_port]>"], [], false);
  const notify = (body: string, state: string, i: number) => `
  <recv request="NOTIFY">
    <action>
      <ereg regexp="${escape(state)}" search_in="hdr" header="Subscription-State:" check_it="true" assign_to="ss${i}"/>
      <ereg regexp="${escape(body)}" search_in="body" check_it="true" assign_to="b${i}"/>
    </action>
  </recv>
${ok}`;
  const expires = o.expires ?? 600;
  const vars = o.bodies.map((_, i) => `ss${i},b${i}`).concat(o.unsubscribe ? [`ss${o.bodies.length},b${o.bodies.length}`] : [], o.refresh ? ["ss99,b99"] : []).join(",");
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="subscriber">
${subscribe(false, expires, false)}
  <recv response="401" auth="true"/>
${subscribe(true, expires, false)}
  <recv response="200">
    <action><ereg regexp="tag=([^;>]+)" search_in="hdr" header="To:" check_it="true" assign_to="dummy,totag"/></action>
  </recv>
${o.bodies.map((b, i) => notify(b, "^ *active;expires=[0-9]+$", i)).join("")}
${o.refresh ? `${subscribe(false, 300, true)}
  <recv response="200"/>
${notify(o.refresh, "^ *active;expires=300$", 99)}` : ""}
${o.unsubscribe ? `${subscribe(false, 0, true)}
  <recv response="200"/>
${notify(o.final ?? ".", "^ *terminated", o.bodies.length)}` : ""}
  <Reference variables="dummy,totag,${vars}"/>
</scenario>
`;
}

/** One SUBSCRIBE (with auth) expecting `status`: 489 for an unknown package, 404 without a hint, 603 when not allowed. */
export function subscribeExpecting(o: { exten: string; event: string; accept?: string; status: number }): string {
  const subscribe = (auth: boolean) => send([
    `SUBSCRIBE sip:${o.exten}@[remote_ip]:[remote_port] SIP/2.0`,
    "Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]",
    "From: <sip:[field0]@[remote_ip]>;tag=[pid]SIPpTag[call_number]",
    `To: <sip:${o.exten}@[remote_ip]>`,
    "Call-ID: [call_id]",
    "CSeq: [cseq] SUBSCRIBE",
    "Contact: <sip:[field0]@[local_ip]:[local_port]>",
    "Max-Forwards: 70",
    `Event: ${o.event}`,
    ...(o.accept ? [`Accept: ${o.accept}`] : []),
    "Expires: 600",
    ...(auth ? ['[authentication username="[field0]" password="[field1]"]'] : []),
  ]);
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="subscribe expecting ${o.status}">
${subscribe(false)}
  <recv response="401" auth="true"/>
${subscribe(true)}
  <recv response="${o.status}"/>
</scenario>
`;
}
