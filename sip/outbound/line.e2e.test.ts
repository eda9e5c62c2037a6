/**
 * `line = yes` on an outbound registration: Recall registers with a `;line=` token in
 * its Contact, and an INVITE from the provider carrying that token in the Request-URI
 * is identified as the registration's `endpoint`, whatever its From says.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { freePort, messages, assertLogged, startRecall } from "../../interfaces/cli/recall-process.js";
import { startSipp } from "../sipp/sipp.js";

/** A registrar that notes Recall's address and line token from the Contact, then calls back with them (expecting 486 from the dialplan). */
const providerScenario = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="provider">
  <recv request="REGISTER">
    <action><ereg regexp="@([0-9.]+:[0-9]+);line=([a-z0-9]+)" search_in="hdr" header="Contact:" check_it="true" assign_to="all,addr,line"/></action>
  </recv>
  <Reference variables="all"/>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      [last_Contact:];expires=600
      Content-Length: 0

    ]]>
  </send>
  <pause milliseconds="200"/>
  <send retrans="500">
    <![CDATA[
      INVITE sip:5551234@[$addr];line=[$line] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:someone@carrier.example>;tag=[pid]SIPpTag02[call_number]
      To: <sip:5551234@[$addr]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:carrier@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=carrier 1 1 IN IP4 [local_ip]
      s=-
      c=IN IP4 [local_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0
      a=rtpmap:0 PCMU/8000
    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="486"/>
  <send>
    <![CDATA[
      ACK sip:5551234@[$addr];line=[$line] SIP/2.0
      [last_Via:]
      [last_From:]
      [last_To:]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
</scenario>
`;

test("line=yes: an INVITE carrying the registration's line token runs in its endpoint's context", async () => {
  const sip = await freePort(), provider = await freePort();
  const carrier = startSipp({ scenario: providerScenario, localPort: provider, calls: 1, timeoutMs: 30_000 });
  const recall = await startRecall({
    "pjsip.conf": `
[transport-udp]
type = transport
protocol = udp
bind = 127.0.0.1:${sip}
[carrier]
type = endpoint
context = from-carrier
[carrier-reg]
type = registration
server_uri = sip:127.0.0.1:${provider}
client_uri = sip:account@127.0.0.1:${provider}
line = yes
max_random_initial_delay = 0
endpoint = carrier
`,
    "extensions.conf": `
[from-carrier]
exten => _X.,1,NoOp(Call for \${EXTEN} from the carrier line)
 same => n,Hangup(17)
`,
  });
  try {
    const r = await carrier.done;
    assert.equal(r.code, 0, `${r.errors}\n${r.stdout.slice(-2000)}\n${messages(recall.dataDir)}`);
    await assertLogged(recall.dataDir, /Executing \[5551234@from-carrier:1\] NoOp\("PJSIP\/carrier-[0-9a-f]{8}"/);
  } finally {
    await recall.stop();
  }
});
