/** Event drafts for tests and benchmarks of the log itself. */
import type { EventDraft } from "./record.js";

/** A valid contact.transition draft; `n` varies its content. */
export function sampleDraft(stream: string, seq: number, n = seq): EventDraft {
  const t = 1_700_000_000_000_000 + n * 1000;
  return {
    type: "contact.transition", v: 1, stream, kind: "contact", seq, time: t,
    input: { source: "test", type: "refresh", expires: 3600, cseq: n },
    state: {
      value: "registered",
      context: {
        aor: "6001", uri: `sip:6001@127.0.0.1:${5000 + (n % 1000)}`, expires: 3600, expiresAt: t + 3600e6,
        registeredAt: t, updatedAt: t, callId: `call-${stream}`, cseq: n, userAgent: "sipp", received: "udp:127.0.0.1:5062", endpoint: "6001",
      },
    },
    outputs: [{ type: "timer.set", name: "expiry", at: t + 3600e6 }],
  };
}
