import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { SipParseError } from "./errors.js";
import { DEFAULT_LIMITS } from "./limits.js";
import type { SipMessage } from "./message.js";
import { parseMessage } from "./parser.js";
import { StreamFramer } from "./framer.js";
import { serializeMessage } from "./serializer.js";
import { buildResponse } from "./response.js";
import { MUTATIONS, type FuzzCase, SipFuzzer } from "./fuzz.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

function describeCase(c: FuzzCase): string {
  return `case ${c.index} (${c.mutation}: ${c.detail}) ${JSON.stringify(c.data.toString("latin1").slice(0, 200))}`;
}

/** Same header fields, ignoring Content-Length, which the serializer always rewrites as one field. */
function sameFields(a: SipMessage, b: SipMessage): boolean {
  const x = a.headerFields.filter((f) => f.key !== "content-length");
  const y = b.headerFields.filter((f) => f.key !== "content-length");
  return x.length === y.length && x.every((f, i) => f.name === y[i].name && f.key === y[i].key && f.value === y[i].value);
}

/** Everything a server would do with a parsed message must throw nothing but SipParseError. */
function exercise(m: SipMessage): void {
  const reads = [
    () => m.vias(), () => m.contacts(), () => m.routes(), () => m.recordRoutes(), () => m.expires, () => m.maxForwards,
    () => m.getAll("Allow"), () => m.getAll("Supported"), () => (m.isRequest ? m.requestUri : m.status),
  ];
  for (const read of reads) {
    try {
      read();
    } catch (e) {
      if (!(e instanceof SipParseError)) throw e;
    }
  }
}

describe("fuzzing the parser", () => {
  it("generates the same cases from the same seed, and others from another", () => {
    const a = [...new SipFuzzer(7).cases(500)];
    const b = [...new SipFuzzer(7).cases(500)];
    const c = [...new SipFuzzer(8).cases(500)];
    assert.deepEqual(a.map((x) => x.data), b.map((x) => x.data));
    assert.notDeepEqual(a.map((x) => x.data), c.map((x) => x.data));
    assert.deepEqual(new Set(a.map((x) => x.mutation)), new Set(MUTATIONS));
  });

  it("survives 200,000 mutated messages: only SipParseError, valid ones round-trip, memory stays bounded", () => {
    const fuzzer = new SipFuzzer(20_240_611);
    const outcomes = new Map<string, number>();
    let framer = new StreamFramer();
    let framed = 0, maxBuffered = 0, heapAfterWarmup = 0, heapPeak = 0;
    const total = 200_000;
    for (let i = 0; i < total; i++) {
      const c = fuzzer.next();
      let outcome: string;
      try {
        const m = parseMessage(c.data);
        outcome = "ok";
        exercise(m);
        const again = parseMessage(serializeMessage(m));
        if (!sameFields(again, m) || !again.body.equals(m.body)) assert.fail(`round trip changed ${describeCase(c)}`);
      } catch (e) {
        if (!(e instanceof SipParseError)) assert.fail(`${String(e)} from ${describeCase(c)}`);
        outcome = e.code;
        if (e.request) serializeMessage(buildResponse(e.request, 400, { toTag: "t" }));
      }
      if ((c.mutation === "none" || c.mutation === "variant") && outcome !== "ok") assert.fail(`valid message refused (${outcome}): ${describeCase(c)}`);
      const key = `${c.mutation}:${outcome === "ok" ? "ok" : "error"}`;
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1);

      // One case in eight also goes through a TCP framer, cut in random chunks.
      if (i % 8 === 0) {
        for (const chunk of fuzzer.chunks(c.data)) {
          for (const item of framer.push(chunk)) {
            if (!(item instanceof SipParseError)) exercise(item);
            framed++;
          }
          maxBuffered = Math.max(maxBuffered, framer.buffered);
          if (framer.failed) framer = new StreamFramer();
        }
      }
      if (i === 20_000 || i === total - 1) {
        gc();
        const heap = process.memoryUsage().heapUsed;
        if (i === 20_000) heapAfterWarmup = heap;
        else heapPeak = heap;
      }
    }
    for (const mutation of MUTATIONS) {
      if (mutation !== "none" && mutation !== "variant") assert.ok((outcomes.get(`${mutation}:error`) ?? 0) > 0, `${mutation} never caused an error`);
    }
    assert.ok(framed > 1000, "the framer produced results");
    assert.ok(maxBuffered <= DEFAULT_LIMITS.maxMessageSize + 1500, `framer held ${maxBuffered} bytes`);
    const growth = heapPeak - heapAfterWarmup;
    assert.ok(growth < 16 * 1024 * 1024, `heap grew by ${(growth / 1048576).toFixed(1)} MiB over 180,000 messages`);
  });
});
