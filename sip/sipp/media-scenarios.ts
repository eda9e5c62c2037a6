/**
 * sipp scenarios for the real-peer media tests, built on call-scenarios.ts: a caller that
 * plays a capture file (`<exec play_pcap_audio>`, see pcap.ts) once the call is up, a
 * called phone whose SDP announces a UDP port the test owns (so the test receives the
 * RTP Recall sends it), and both able to log the RTP port the other side's SDP named.
 *
 * sipp plays captures through a raw socket: it must run as root or with CAP_NET_RAW
 * (`canPlayPcap()` tells).
 */
import { readFileSync } from "node:fs";
import { uacCall, uasCall, type UacOptions, type UasOptions } from "./call-scenarios.js";

export interface PcapCallerOptions extends UacOptions {
  /** Absolute path of the capture sipp plays right after its ACK. */
  readonly pcap: string;
  /** Log `RTPPORT <port>` (the port of the 200 OK's `m=audio`) to sipp's -log_file. */
  readonly logRemotePort?: boolean;
}

/** The `<log>` action for the `m=audio` port of the message just received. */
const logPort = (tag: string) => `${tag.replace(/\/>$/, ">")}
    <action>
      <ereg regexp="m=audio ([0-9]+)" search_in="body" check_it="true" assign_to="all,rport"/>
      <log message="RTPPORT [$rport]"/>
    </action>
  </recv>
  <Reference variables="all"/>`;

/**
 * A caller (uacCall) that starts playing `pcap` to the port Recall's 200 OK announced as
 * soon as it has sent the ACK; with `holdMs` it hangs up that long after the ACK (let
 * the capture finish first), otherwise it waits for Recall's BYE.
 */
export function pcapCaller(o: PcapCallerOptions): string {
  let s = uacCall(o);
  const ack = s.indexOf("ACK [next_url] SIP/2.0");
  if (ack < 0) throw new Error("pcapCaller: the call is not answered in this scenario (no in-dialog ACK)");
  const end = s.indexOf("</send>", ack) + "</send>".length;
  s = `${s.slice(0, end)}
  <nop>
    <action>
      <exec play_pcap_audio="${o.pcap}"/>
    </action>
  </nop>${s.slice(end)}`;
  return o.logRemotePort ? logAnswerPort(s) : s;
}

/** A caller scenario (uacCall) that logs `RTPPORT <port>`, the port of the 200 OK's `m=audio`, to sipp's -log_file. */
export function logAnswerPort(scenario: string): string {
  const ok = /<recv response="200" rtd="true"[^>]*\/>/.exec(scenario);
  if (!ok) throw new Error("logAnswerPort: no 200 OK to log the port of");
  return scenario.replace(ok[0], logPort(ok[0]));
}

export interface PortCalleeOptions extends UasOptions {
  /** The RTP port the called phone's SDP announces: a socket the test owns. */
  readonly mediaPort: number;
  /** Log `RTPPORT <port>` (the port of Recall's INVITE's `m=audio`) to sipp's -log_file. */
  readonly logRemotePort?: boolean;
}

/** A called phone (uasCall) whose SDP sends Recall's RTP to `mediaPort`. */
export function portCallee(o: PortCalleeOptions): string {
  let s = uasCall(o).replaceAll("m=audio [media_port]", `m=audio ${o.mediaPort}`);
  if (o.logRemotePort) {
    const invite = /<recv request="INVITE"[^>]*\/>/.exec(s);
    if (!invite || invite.index !== s.indexOf("<recv")) throw new Error("portCallee: the scenario does not start with a plain INVITE");
    s = s.replace(invite[0], logPort(invite[0]));
  }
  return s;
}

/** The RTP port a scenario built with `logRemotePort` logged, once it has (undefined until then). */
export function loggedPort(logText: string): number | undefined {
  const m = /RTPPORT (\d+)/.exec(logText);
  return m ? Number(m[1]) : undefined;
}

/**
 * Whether sipp may open the raw socket play_pcap_audio needs: as root, or with CAP_NET_RAW
 * among the ambient capabilities it inherits.
 */
export function canPlayPcap(): boolean {
  if (process.getuid?.() === 0) return true;
  try {
    const amb = /CapAmb:\s*([0-9a-f]+)/.exec(readFileSync("/proc/self/status", "utf8"))?.[1];
    return amb !== undefined && (BigInt(`0x${amb}`) & (1n << 13n)) !== 0n; // CAP_NET_RAW = 13
  } catch {
    return false;
  }
}
