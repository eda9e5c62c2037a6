/**
 * sipp scenarios for media that moves during a call: phones (built on call-scenarios.ts
 * and transfer-scenarios.ts) that take re-INVITEs from Recall, answer them 200 with SDP
 * naming a test-owned RTP port and log what each offer named, and a caller that sends a
 * re-INVITE of its own (hold, or a new address). Everything logged goes to sipp's
 * -log_file (with -trace_logs) as one line per message, read by `loggedOffers`.
 */
import { uacCall, uasCall, type UacOptions, type UasOptions } from "./call-scenarios.js";
import { sdp, send as sendStep } from "./xml.js";

/** Scenario steps here are not retransmitted unless asked. */
const send = (lines: readonly string[], body: readonly string[] = [], retrans = false): string => sendStep(lines, body, retrans);

function logSdp(tag: string, n: string): string {
  return `    <action>\n${sdpActions(tag, n)}\n    </action>`;
}
function sdpActions(tag: string, n: string): string {
  return `      <ereg regexp="c=IN IP4 ([0-9.]+)" search_in="body" check_it="true" assign_to="c${n},addr${n}"/>
      <ereg regexp="m=audio ([0-9]+)" search_in="body" check_it="true" assign_to="m${n},port${n}"/>
      <ereg regexp="o=([^ ]+) ([^ ]+) ([0-9]+) " search_in="body" check_it="true" assign_to="o${n},user${n},sess${n},ver${n}"/>
      <ereg regexp="a=(sendrecv|sendonly|recvonly|inactive)" search_in="body" assign_to="d${n},dir${n}"/>
      <log message="${tag} [$addr${n}] [$port${n}] [$user${n}] [$sess${n}] [$ver${n}] [$dir${n}]"/>`;
}
const references = (n: string) => `  <Reference variables="c${n},m${n},o${n},d${n}"/>`;

/**
 * Take `count` re-INVITEs from Recall: log each offer as `REINVITE ...` (see logSdp),
 * answer 200 with SDP naming `mediaPort` (its o= version counting up from 2), take the ACK.
 */
export function acceptReinvites(count: number, mediaPort: number | string, contact = "<sip:phone@[local_ip]:[local_port]>"): string {
  const parts: string[] = [];
  for (let i = 1; i <= count; i++) {
    const n = `ri${i}`;
    parts.push(`  <recv request="INVITE">\n${logSdp("REINVITE", n)}\n  </recv>`, references(n));
    parts.push(send(["SIP/2.0 200 OK", "[last_Via:]", "[last_From:]", "[last_To:]", "[last_Call-ID:]", "[last_CSeq:]", `Contact: ${contact}`], sdp(mediaPort, 1 + i)));
    parts.push('  <recv request="ACK" crlf="true"/>');
  }
  return parts.join("\n");
}

/** Put `fragment` right after the first occurrence of `anchor` (a whole element) in `scenario`. */
function after(scenario: string, anchor: RegExp, fragment: string, what: string): string {
  const m = anchor.exec(scenario);
  if (!m) throw new Error(`reinvite-scenarios: ${what} not found in the scenario`);
  const at = m.index + m[0].length;
  return `${scenario.slice(0, at)}\n${fragment}${scenario.slice(at)}`;
}

/** The ACK a caller sends for its INVITE's 200 (call-scenarios' in-dialog ACK). */
const CALLER_ACK = /<send>\s*<!\[CDATA\[\s*ACK \[next_url\] SIP\/2\.0[\s\S]*?<\/send>/;
/** The ACK a called phone receives for its 200 (with or without the tag-capturing action). */
const CALLEE_ACK = /<recv request="ACK" rtd="true" crlf="true"(?:\/>|>[\s\S]*?<\/recv>)/;

/**
 * `scenario` (a uacCall) with its dialog's own From and To kept from Recall's 200 OK: the
 * caller's later requests (BYE) use them, as `[last_From:]` would be Recall's after a
 * re-INVITE from Recall. With `logAnswer`, the 200's SDP is logged as `ANSWER ...`.
 */
function callerDialog(scenario: string, logAnswer: boolean | undefined): string {
  const ok = '  <recv response="200" rtd="true" rrs="true"/>';
  if (!scenario.includes(ok)) throw new Error("reinvite-scenarios: no 200 OK in the caller's scenario");
  const captured = `  <recv response="200" rtd="true" rrs="true">
    <action>
      <ereg regexp="[^ ].*" search_in="hdr" header="From:" assign_to="ownfrom"/>
      <ereg regexp="[^ ].*" search_in="hdr" header="To:" assign_to="ownto"/>${logAnswer ? `\n${sdpActions("ANSWER", "ans")}` : ""}
    </action>
  </recv>
  <Reference variables="ownfrom,ownto"/>${logAnswer ? `\n${references("ans")}` : ""}`;
  const [head, tail] = [scenario.slice(0, scenario.indexOf(ok)), scenario.slice(scenario.indexOf(ok) + ok.length)];
  // The caller's own requests (INFO, BYE): its dialog's From and To, whatever came last.
  const own = tail.replace(/((?:INFO|BYE) \[next_url\] SIP\/2\.0(?:(?!\]\]>)[\s\S])*?)\[last_From:\]\s*\[last_To:\]/g, "$1From: [$ownfrom]\n      To: [$ownto]");
  return head + captured + own;
}

export interface ReinvitedCallerOptions extends UacOptions {
  /** The phone's RTP port: in its INVITE and in its answers to re-INVITEs (a socket the test owns). */
  readonly mediaPort: number;
  /** Re-INVITEs Recall sends once the call is up (each logged `REINVITE ...`). */
  readonly reinvites: number;
  /** Log the SDP of Recall's 200 OK as `ANSWER ...`. */
  readonly logAnswer?: boolean;
}

/** A caller (uacCall) that takes `reinvites` re-INVITEs after its ACK, then holds (holdMs) or waits for the BYE. */
export function reinvitedCaller(o: ReinvitedCallerOptions): string {
  const s = callerDialog(uacCall(o), o.logAnswer);
  return o.reinvites ? after(s, CALLER_ACK, acceptReinvites(o.reinvites, o.mediaPort, "<sip:sipp@[local_ip]:[local_port]>"), "the caller's ACK") : s;
}

export interface TransferringCallerOptions extends ReinvitedCallerOptions {
  /** DTMF by SIP INFO: `before` right after the answer, then the re-INVITEs are taken, then `after`. */
  readonly before: string;
  readonly after: string;
}

/** A caller that presses `before` (a feature code), takes Recall's re-INVITEs, then presses `after` (the target). */
export function transferringCaller(o: TransferringCallerOptions): string {
  const s = callerDialog(uacCall({ ...o, dtmf: o.before + o.after }), o.logAnswer);
  // The 200 of the last INFO of `before`.
  let at = s.search(CALLER_ACK);
  for (let i = 0; i < o.before.length; i++) at = s.indexOf('<recv response="200"/>', s.indexOf("INFO [next_url]", at));
  if (at < 0) throw new Error("transferringCaller: no INFO in the scenario");
  const end = at + '<recv response="200"/>'.length;
  return `${s.slice(0, end)}\n${acceptReinvites(o.reinvites, o.mediaPort, "<sip:sipp@[local_ip]:[local_port]>")}${s.slice(end)}`;
}

export interface ReinvitedCalleeOptions extends UasOptions {
  readonly mediaPort: number;
  readonly reinvites: number;
}

/**
 * A called phone (uasCall answering 200) whose SDP names `mediaPort`: logs Recall's
 * INVITE's offer as `OFFER ...`, then takes `reinvites` re-INVITEs after the ACK.
 */
export function reinvitedCallee(o: ReinvitedCalleeOptions): string {
  let s = uasCall(o).replaceAll("m=audio [media_port]", `m=audio ${o.mediaPort}`);
  const invite = '  <recv request="INVITE" crlf="true" rrs="true"/>';
  if (s.indexOf(invite) !== s.indexOf("<recv") - 2) throw new Error("reinvitedCallee: the scenario does not start with a plain INVITE");
  s = s.replace(invite, `  <recv request="INVITE" crlf="true" rrs="true">\n${logSdp("OFFER", "off")}\n  </recv>\n${references("off")}`);
  return o.reinvites ? after(s, CALLEE_ACK, acceptReinvites(o.reinvites, o.mediaPort, "<sip:uas@[local_ip]:[local_port]>"), "the called phone's ACK") : s;
}

export interface HoldingCallerOptions extends UacOptions {
  readonly mediaPort: number;
  /** The caller's re-INVITE after its ACK (and this pause): a new RTP port and/or a direction (sendonly: hold). */
  readonly reinviteAfterMs: number;
  readonly newPort?: number;
  readonly direction?: "sendonly" | "inactive" | "sendrecv";
  /** The status Recall answers the re-INVITE with (200: its SDP is logged as `REANSWER ...`). */
  readonly expectStatus?: number;
  /** Log the SDP of Recall's 200 OK to the INVITE as `ANSWER ...`. */
  readonly logAnswer?: boolean;
  /** This long after the first re-INVITE's ACK, a second one (CSeq 11) back to sendrecv: off hold. */
  readonly resumeAfterMs?: number;
}

/** A caller that, once answered, sends a re-INVITE of its own (CSeq 10) and logs Recall's answer (and, with resumeAfterMs, a second: off hold). */
export function holdingCaller(o: HoldingCallerOptions): string {
  const s = callerDialog(uacCall(o), o.logAnswer);
  const expect = o.expectStatus ?? 200;
  const reinvite = send([
    "INVITE [next_url] SIP/2.0", "Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]",
    "[last_From:]", "[last_To:]", "Call-ID: [call_id]", "CSeq: 10 INVITE", "Contact: <sip:sipp@[local_ip]:[local_port]>", "Max-Forwards: 70",
  ], sdp(o.newPort ?? o.mediaPort, 2, o.direction), true);
  const answer = expect === 200
    ? `  <recv response="200">\n${logSdp("REANSWER", "rea")}\n  </recv>\n${references("rea")}`
    : `  <recv response="${expect}"/>`;
  // The ACK of a 2xx is a transaction of its own (a new branch); a failure's reuses the INVITE's Via.
  const ack = send([
    "ACK [next_url] SIP/2.0", expect === 200 ? "Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]" : "[last_Via:]",
    "[last_From:]", "[last_To:]", "Call-ID: [call_id]", "CSeq: 10 ACK", "Max-Forwards: 70",
  ]);
  const steps = [`  <pause milliseconds="${o.reinviteAfterMs}"/>`, reinvite, '  <recv response="100" optional="true"/>', answer, ack];
  if (o.resumeAfterMs !== undefined) {
    steps.push(`  <pause milliseconds="${o.resumeAfterMs}"/>`,
      send([
        "INVITE [next_url] SIP/2.0", "Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]",
        "[last_From:]", "[last_To:]", "Call-ID: [call_id]", "CSeq: 11 INVITE", "Contact: <sip:sipp@[local_ip]:[local_port]>", "Max-Forwards: 70",
      ], sdp(o.newPort ?? o.mediaPort, 3, "sendrecv"), true),
      '  <recv response="100" optional="true"/>', '  <recv response="200"/>',
      send(["ACK [next_url] SIP/2.0", "Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]",
        "[last_From:]", "[last_To:]", "Call-ID: [call_id]", "CSeq: 11 ACK", "Max-Forwards: 70"]));
  }
  // Its own BYE, if it hangs up, comes after the re-INVITEs' CSeqs.
  return after(s, CALLER_ACK, steps.join("\n"), "the caller's ACK").replace(/CSeq: \d+ BYE/, `CSeq: ${o.resumeAfterMs !== undefined ? 12 : 11} BYE`);
}

export interface LoggedSdp {
  readonly address: string;
  readonly port: number;
  readonly user: string;
  readonly session: string;
  readonly version: number;
  /** The direction attribute, "" when the SDP had none. */
  readonly direction: string;
}

/** Every `<tag> ...` line a scenario above logged, in order. */
export function loggedSdps(logText: string, tag: "REINVITE" | "OFFER" | "ANSWER" | "REANSWER"): LoggedSdp[] {
  const out: LoggedSdp[] = [];
  for (const m of logText.matchAll(new RegExp(`^${tag} (\\S+) (\\d+) (\\S+) (\\S+) (\\d+) ?(\\S*)$`, "gm"))) {
    out.push({ address: m[1], port: Number(m[2]), user: m[3], session: m[4], version: Number(m[5]), direction: m[6] ?? "" });
  }
  return out;
}
