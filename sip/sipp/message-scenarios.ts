/**
 * sipp scenarios for SIP MESSAGE: a phone that sends one (answering the digest
 * challenge) and expects `status`, and a phone that receives one and checks its body.
 * Fields: [field0] user, [field1] password.
 */
import { send } from "./xml.js";

const escape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

export function messageSender(o: { to: string; body: string; status: number; contentType?: string }): string {
  const message = (auth: boolean) => send([
    `MESSAGE sip:${o.to}@[remote_ip]:[remote_port] SIP/2.0`,
    "Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]",
    "From: \"[field0]\" <sip:[field0]@[remote_ip]>;tag=[pid]SIPpTag[call_number]",
    `To: <sip:${o.to}@[remote_ip]>`,
    "Call-ID: [call_id]",
    "CSeq: [cseq] MESSAGE",
    "Max-Forwards: 70",
    ...(auth ? ['[authentication username="[field0]" password="[field1]"]'] : []),
  ], [o.body], true, o.contentType ?? "text/plain");
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="send a MESSAGE">
${message(false)}
  <recv response="401" auth="true"/>
${message(true)}
  <recv response="${o.status}"/>
</scenario>
`;
}

export function messageReceiver(o: { body: string }): string {
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="receive a MESSAGE">
  <recv request="MESSAGE">
    <action><ereg regexp="${escape(o.body)}" search_in="body" check_it="true" assign_to="b"/></action>
  </recv>
${send(["SIP/2.0 200 OK", "[last_Via:]", "[last_From:]", "[last_To:];tag=[pid]SIPpTag[call_number]", "[last_Call-ID:]", "[last_CSeq:]"], [], false)}
  <Reference variables="b"/>
</scenario>
`;
}
