/**
 * sipp scenarios for call transfers: a called phone that transfers its caller with
 * REFER (blind, or attended with Replaces), and the transferer's second line, the
 * call whose dialog the Replaces names (steps built with xml.ts).
 */
import { sdp, send } from "./xml.js";

const SDP = sdp();

/** 200 OK to the request just received. */
const ok = () => send(["SIP/2.0 200 OK", "[last_Via:]", "[last_From:]", "[last_To:]", "[last_Call-ID:]", "[last_CSeq:]", "Contact: <sip:uas@[local_ip]:[local_port]>"], [], false);

/** An in-dialog request from the called phone (its tags captured at the ACK as $me / $peer). */
const request = (method: string, cseq: number, extra: readonly string[] = []) => send([
  `${method} [next_url] SIP/2.0`, "Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]",
  "From: [$me]", "To: [$peer]", "Call-ID: [call_id]", `CSeq: ${cseq} ${method}`,
  "Contact: <sip:uas@[local_ip]:[local_port]>", "Max-Forwards: 70", ...extra,
]);

/** Receive a NOTIFY whose sipfrag body must be `SIP/2.0 <status>`, and answer it. */
const notify = (status: string, n: number, final: boolean) => `  <recv request="NOTIFY" crlf="true">
    <action>
      <ereg regexp="SIP/2.0 ${status}" search_in="body" check_it="true" assign_to="frag${n}"/>
      <ereg regexp="${final ? "terminated" : "active"}" search_in="hdr" header="Subscription-State:" check_it="true" assign_to="state${n}"/>
      <ereg regexp="refer" search_in="hdr" header="Event:" check_it="true" assign_to="event${n}"/>
    </action>
  </recv>
  <Reference variables="frag${n},state${n},event${n}"/>
${ok()}`;

export interface ReferOptions {
  /** The Refer-To URI (without <>); `[$replaces]` is the Replaces value the harness sent (attended). */
  readonly referTo: string;
  /** Wait this long after the answer before the REFER. */
  readonly afterMs?: number;
  /**
   * Attended: before the REFER, wait for a MESSAGE (sent by the test, standing in for the
   * phone's own memory of its second line) with `X-Replaces: <callid;to-tag=..;from-tag=..>`
   * URI-escaped, and log this call's Call-ID as `CALLID <id>` for the test to address it.
   */
  readonly replacesFromMessage?: boolean;
  /** What Recall answers: 202 then NOTIFYs ending with `notify` ("200 OK", "404 Not Found"), or this final status at once. */
  readonly outcome: { readonly notify: string } | { readonly status: number };
  /** After the outcome: wait for Recall's BYE (transferred away), or stay and hang up after this long (ms). */
  readonly hangUpAfterMs?: number;
}

/** A called phone: answers, then transfers the caller with REFER. */
export function uasRefer(o: ReferOptions): string {
  const parts: string[] = [];
  parts.push(o.replacesFromMessage
    ? `  <recv request="INVITE" crlf="true" rrs="true">
    <action><log message="CALLID [call_id]"/></action>
  </recv>`
    : '  <recv request="INVITE" crlf="true" rrs="true"/>');
  const reply = (status: string, sdp = false) => send([
    `SIP/2.0 ${status}`, "[last_Via:]", "[last_From:]", "[last_To:];tag=[pid]SIPpTag01[call_number]", "[last_Call-ID:]", "[last_CSeq:]",
    "Contact: <sip:uas@[local_ip]:[local_port]>",
  ], sdp ? SDP : [], false);
  parts.push(reply("180 Ringing"), reply("200 OK", true));
  parts.push(`  <recv request="ACK" crlf="true">
    <action>
      <ereg regexp="[^ ].*" search_in="hdr" header="From:" assign_to="peer"/>
      <ereg regexp="[^ ].*" search_in="hdr" header="To:" assign_to="me"/>
    </action>
  </recv>`);
  if (o.afterMs) parts.push(`  <pause milliseconds="${o.afterMs}"/>`);
  if (o.replacesFromMessage) {
    parts.push(`  <recv request="MESSAGE">
    <action><ereg regexp="[^ ]+" search_in="hdr" header="X-Replaces:" check_it="true" assign_to="replaces"/></action>
  </recv>`);
    parts.push(ok());
  }
  parts.push(request("REFER", 1, [`Refer-To: <${o.referTo}>`, "Referred-By: <sip:6002@[local_ip]:[local_port]>"]));
  if ("notify" in o.outcome) {
    parts.push('  <recv response="202"/>');
    parts.push(notify("100 Trying", 1, false));
    parts.push(notify(o.outcome.notify, 2, true));
  } else {
    parts.push(`  <recv response="${o.outcome.status}"/>`);
  }
  if (o.hangUpAfterMs === undefined) {
    parts.push('  <recv request="BYE"/>', ok());
  } else {
    parts.push(`  <pause milliseconds="${o.hangUpAfterMs}"/>`, request("BYE", 2), '  <recv response="200" crlf="true"/>');
  }
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>\n<scenario name="uas refer">\n${parts.join("\n")}\n</scenario>\n`;
}

/**
 * The transferer's second line: calls `exten` (digest auth with [field0]/[field1]), logs
 * `DIALOG <Call-ID> <to-tag> <from-tag>` once answered (what a Replaces names), then
 * waits for Recall's BYE.
 */
export function uacSecondLine(o: { readonly exten: string; readonly from: string }): string {
  const invite = (cseq: number, auth: boolean) => send([
    `INVITE sip:${o.exten}@[remote_ip]:[remote_port] SIP/2.0`, "Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]",
    `From: <sip:${o.from}@[local_ip]:[local_port]>;tag=line2-[call_number]`, `To: <sip:${o.exten}@[remote_ip]:[remote_port]>`,
    "Call-ID: [call_id]", `CSeq: ${cseq} INVITE`, "Contact: <sip:line2@[local_ip]:[local_port]>", "Max-Forwards: 70",
    ...(auth ? ['[authentication username="[field0]" password="[field1]"]'] : []),
  ], SDP);
  const parts = [
    invite(1, false),
    '  <recv response="100" optional="true"/>',
    '  <recv response="401" auth="true"/>',
    send([
      `ACK sip:${o.exten}@[remote_ip]:[remote_port] SIP/2.0`, "[last_Via:]", "[last_From:]", "[last_To:]", "Call-ID: [call_id]", "CSeq: 1 ACK", "Max-Forwards: 70",
    ], [], false),
    invite(2, true),
    '  <recv response="100" optional="true"/>',
    '  <recv response="180" optional="true"/>',
    '  <recv response="183" optional="true"/>',
    `  <recv response="200" rtd="true" rrs="true">
    <action>
      <ereg regexp="tag=([^;> ]+)" search_in="hdr" header="To:" assign_to="totag_all,totag"/>
      <log message="DIALOG [call_id] [$totag] line2-[call_number]"/>
    </action>
  </recv>
  <Reference variables="totag_all"/>`,
    send([
      "ACK [next_url] SIP/2.0", "Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]",
      "[last_From:]", "[last_To:]", "Call-ID: [call_id]", "CSeq: 2 ACK", "Max-Forwards: 70",
    ], [], false),
    '  <recv request="BYE"/>',
    ok(),
  ];
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>\n<scenario name="second line">\n${parts.join("\n")}\n</scenario>\n`;
}
