/**
 * INVITE→200 times as the wire shows them: a packet capture on `lo` (tcpdump, microseconds)
 * around a benchmark step. sipp's own `-trace_rtt` reads the kernel's coarse clock, which
 * moves in 4 ms steps here (HZ 250), so its p99 of "24 ms" is anything from 20 to 28 ms.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readPcap } from "../../sip/sipp/pcap.js";

export interface WireCapture {
  /** Stop capturing; the time from each INVITE sent to `port` to the first 200 for it (ms), in capture order. */
  stop(): Promise<number[]>;
}

const callIdOf = (text: string) => /\r\n(?:Call-ID|i)[ \t]*:[ \t]*([^\r\n]+)/i.exec(text)?.[1];

/** Capture UDP to and from `port` on 127.0.0.1 (needs tcpdump and the right to capture). */
export async function captureInvites(port: number): Promise<WireCapture> {
  const dir = mkdtempSync(join(tmpdir(), "recall-wire-"));
  const file = join(dir, "sip.pcap");
  // -U: write each packet as it comes, so stopping loses nothing; 700 bytes hold the start line and Call-ID.
  const tcpdump = spawn("tcpdump", ["-i", "lo", "-U", "-s", "700", "-w", file, "udp", "port", String(port)], { stdio: ["ignore", "ignore", "pipe"] });
  const exited = new Promise<void>((resolve) => tcpdump.once("exit", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    tcpdump.stderr.on("data", (d: Buffer) => { if (d.toString().includes("listening on")) resolve(); });
    tcpdump.once("error", reject);
    void exited.then(() => reject(new Error("tcpdump exited before capturing (is it installed, and may this user capture?)")));
  });
  return {
    async stop() {
      tcpdump.kill("SIGINT");
      await exited;
      try {
        const invites = new Map<string, number>();
        const times: number[] = [];
        for (const d of readPcap(readFileSync(file))) {
          const text = Buffer.from(d.payload).toString("latin1");
          const callId = callIdOf(text);
          if (callId === undefined) continue;
          if (d.dst.port === port && text.startsWith("INVITE ")) {
            if (!invites.has(callId)) invites.set(callId, d.atMs);
          } else if (d.src.port === port && text.startsWith("SIP/2.0 200") && /\r\nCSeq[ \t]*:[ \t]*\d+[ \t]+INVITE\r\n/i.test(text)) {
            const sent = invites.get(callId);
            if (sent !== undefined) { times.push(d.atMs - sent); invites.delete(callId); }
          }
        }
        return times;
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
