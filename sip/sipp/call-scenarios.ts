/**
 * sipp call scenarios: a caller (UAC) and the called phones (UAS) for the call-path
 * tests and the calls benchmark. Headers are built as lists: sipp must not see a
 * blank line before the end of the headers.
 */

import { sdp, send } from "./xml.js";

const SDP = sdp();

export interface UacOptions {
  /** Number dialled (Request-URI user); `[field0]` to take it from the injection file. */
  readonly exten: string;
  /** From user (caller ID number). */
  readonly from?: string;
  /** Final response expected. */
  readonly expect?: number;
  /** After answer: how long before the caller hangs up (ms); undefined: wait for the BYE from Recall. */
  readonly holdMs?: number;
  /** Cancel the call this long after it starts ringing (expect 487). */
  readonly cancelAfterMs?: number;
  /** DTMF digits sent by SIP INFO right after the answer, 200 ms apart. */
  readonly dtmf?: string;
  /** Answer a 401 to the INVITE with digest credentials: user [field0], password [field1] of the injection file. */
  readonly auth?: boolean;
  /** The RTP port the caller's SDP announces (default sipp's media port): a test's own socket to receive audio. */
  readonly mediaPort?: number;
}

const uacHeaders = (method: string, o: UacOptions, cseq: string) => [
  `${method} sip:${o.exten}@[remote_ip]:[remote_port] SIP/2.0`,
  "Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]",
  `From: "Caller" <sip:${o.from ?? "caller"}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]`,
  `To: <sip:${o.exten}@[remote_ip]:[remote_port]>`,
  "Call-ID: [call_id]",
  `CSeq: ${cseq}`,
  "Contact: <sip:sipp@[local_ip]:[local_port]>",
  "Max-Forwards: 70",
  "User-Agent: sipp",
];

const inDialog = (method: string, cseq: string) => [
  `${method} [next_url] SIP/2.0`,
  "Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]",
  "[last_From:]", "[last_To:]", "Call-ID: [call_id]", `CSeq: ${cseq}`, "Contact: <sip:sipp@[local_ip]:[local_port]>", "Max-Forwards: 70",
];

/** A caller: INVITE, then answered (ACK, hold, BYE), rejected (ACK) or cancelled. */
export function uacCall(o: UacOptions): string {
  const expect = o.cancelAfterMs !== undefined ? 487 : o.expect ?? 200;
  const offer = sdp(o.mediaPort ?? "[media_port]");
  const parts: string[] = [send(uacHeaders("INVITE", o, "1 INVITE"), offer)];
  const n = o.auth ? 2 : 1; // the INVITE's CSeq number
  if (o.auth) {
    parts.push('  <recv response="100" optional="true"/>', '  <recv response="401" auth="true"/>');
    parts.push(send([
      `ACK sip:${o.exten}@[remote_ip]:[remote_port] SIP/2.0`, "[last_Via:]", "[last_From:]", "[last_To:]", "Call-ID: [call_id]", "CSeq: 1 ACK", "Max-Forwards: 70",
    ], [], false));
    parts.push(send([...uacHeaders("INVITE", o, "2 INVITE"), '[authentication username="[field0]" password="[field1]"]'], offer));
  }
  if (o.cancelAfterMs !== undefined) {
    // Cancel while ringing (sipp takes no message during a pause, nor an optional one right before it).
    parts.push('  <recv response="100"/>', '  <recv response="180"/>', `  <pause milliseconds="${o.cancelAfterMs}"/>`);
    parts.push(send([
      `CANCEL sip:${o.exten}@[remote_ip]:[remote_port] SIP/2.0`, "[last_Via:]",
      `From: "Caller" <sip:${o.from ?? "caller"}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]`,
      `To: <sip:${o.exten}@[remote_ip]:[remote_port]>`, "Call-ID: [call_id]", `CSeq: ${n} CANCEL`, "Max-Forwards: 70",
    ]));
    parts.push('  <recv response="200"/>');
  } else {
    parts.push('  <recv response="100" optional="true"/>', '  <recv response="180" optional="true"/>', '  <recv response="183" optional="true"/>');
  }
  if (expect >= 200 && expect < 300) {
    parts.push('  <recv response="200" rtd="true" rrs="true"/>');
    parts.push(send(inDialog("ACK", `${n} ACK`), [], false));
    let cseq = n + 1;
    for (const d of o.dtmf ?? "") {
      parts.push('  <pause milliseconds="200"/>');
      parts.push(send(inDialog("INFO", `${cseq++} INFO`), [`Signal=${d}`, "Duration=160"], true, "application/dtmf-relay"));
      parts.push('  <recv response="200"/>');
    }
    if (o.holdMs !== undefined) {
      parts.push(`  <pause milliseconds="${o.holdMs}"/>`);
      parts.push(send(inDialog("BYE", `${cseq} BYE`)));
      parts.push('  <recv response="200" crlf="true"/>');
    } else {
      parts.push('  <recv request="BYE"/>');
      parts.push(send(["SIP/2.0 200 OK", "[last_Via:]", "[last_From:]", "[last_To:]", "[last_Call-ID:]", "[last_CSeq:]"], [], false));
    }
  } else {
    parts.push(`  <recv response="${expect}" rtd="true"/>`);
    parts.push(send([
      `ACK sip:${o.exten}@[remote_ip]:[remote_port] SIP/2.0`, "[last_Via:]", "[last_From:]", "[last_To:]", "Call-ID: [call_id]", `CSeq: ${n} ACK`, "Max-Forwards: 70",
    ], [], false));
  }
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>\n<scenario name="uac call">\n${parts.join("\n")}\n</scenario>\n`;
}

export interface UasOptions {
  /** Ring this long before the final response (ms). */
  readonly ringMs?: number;
  /** Final response: 200 answers; anything else rejects. Undefined: never answer (wait for CANCEL). */
  readonly status?: number;
  /** Answered: hang up from this side after this long (ms); undefined: wait for the BYE. */
  readonly holdMs?: number;
  /** Send 183 with SDP before ringing. */
  readonly earlyMedia?: boolean;
  /** Challenge the first INVITE with 401 and require digest credentials of this username on the second. */
  readonly challengeUser?: string;
  /** A Contact for a failure response: where a 3xx redirects the call. */
  readonly contact?: string;
}

const reply = (status: string, sdp = false) => send([
  `SIP/2.0 ${status}`, "[last_Via:]", "[last_From:]", "[last_To:];tag=[pid]SIPpTag01[call_number]", "[last_Call-ID:]", "[last_CSeq:]",
  "Contact: <sip:uas@[local_ip]:[local_port]>",
], sdp ? SDP : [], false);

/** A called phone: answers, rejects, or rings until cancelled. */
export function uasCall(o: UasOptions): string {
  const parts: string[] = ['  <recv request="INVITE" crlf="true" rrs="true"/>'];
  if (o.challengeUser) {
    parts.push(send([
      "SIP/2.0 401 Unauthorized", "[last_Via:]", "[last_From:]", "[last_To:];tag=[pid]SIPpTag01[call_number]", "[last_Call-ID:]", "[last_CSeq:]",
      'WWW-Authenticate: Digest realm="trunk", nonce="abc[call_number]", algorithm=MD5, qop="auth"',
    ], [], false));
    parts.push('  <recv request="ACK"/>');
    parts.push(`  <recv request="INVITE" crlf="true">
    <action><ereg regexp="Digest .*username=.${o.challengeUser}." search_in="hdr" header="Authorization:" check_it="true" assign_to="authorization"/></action>
  </recv>
  <Reference variables="authorization"/>`);
  }
  if (o.earlyMedia) parts.push(reply("183 Session Progress", true));
  parts.push(reply("180 Ringing"));
  if (o.status === undefined) {
    parts.push('  <recv request="CANCEL"/>');
    parts.push(reply("200 OK"));
    parts.push(send([
      "SIP/2.0 487 Request Terminated", "[last_Via:]", "[last_From:]", "[last_To:];tag=[pid]SIPpTag01[call_number]", "[last_Call-ID:]", "CSeq: [$c] INVITE",
    ], [], false));
    parts.push('  <recv request="ACK"/>');
    parts.splice(1, 0, '  <Reference variables="c"/>');
    parts[0] = `  <recv request="INVITE" crlf="true">
    <action><ereg regexp="([0-9]+) INVITE" search_in="hdr" header="CSeq:" assign_to="all,c"/></action>
  </recv>
  <Reference variables="all"/>`;
  } else {
    if (o.ringMs) parts.push(`  <pause milliseconds="${o.ringMs}"/>`);
    if (o.status === 200) {
      parts.push(reply("200 OK", true));
      if (o.holdMs !== undefined) {
        // The dialog's two ends as the ACK names them: our BYE's From and To.
        parts.push(`  <recv request="ACK" rtd="true" crlf="true">
    <action>
      <ereg regexp="[^ ].*" search_in="hdr" header="From:" assign_to="peer"/>
      <ereg regexp="[^ ].*" search_in="hdr" header="To:" assign_to="me"/>
    </action>
  </recv>`);
        parts.push(`  <pause milliseconds="${o.holdMs}"/>`);
        parts.push(send([
          "BYE [next_url] SIP/2.0", "Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]",
          "From: [$me]", "To: [$peer]",
          "Call-ID: [call_id]", "CSeq: 1 BYE", "Max-Forwards: 70",
        ]));
        parts.push('  <recv response="200"/>');
      } else {
        parts.push('  <recv request="ACK" rtd="true" crlf="true"/>');
        parts.push('  <recv request="BYE"/>');
        parts.push(reply("200 OK"));
      }
    } else {
      parts.push(send([
        `SIP/2.0 ${o.status} ${REASONS[o.status] ?? "Failed"}`, "[last_Via:]", "[last_From:]", "[last_To:];tag=[pid]SIPpTag01[call_number]", "[last_Call-ID:]", "[last_CSeq:]",
        ...(o.contact ? [`Contact: <${o.contact}>`] : []),
      ], [], false));
      parts.push('  <recv request="ACK"/>');
    }
  }
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>\n<scenario name="uas call">\n${parts.join("\n")}\n</scenario>\n`;
}

const REASONS: Readonly<Record<number, string>> = {
  302: "Moved Temporarily", 403: "Forbidden", 404: "Not Found", 480: "Temporarily Unavailable", 486: "Busy Here", 503: "Service Unavailable", 603: "Decline",
};
