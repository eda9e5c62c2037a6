/**
 * `recall start` with `[log] backend = kafka` in recall.conf, end to end: Kafka is down
 * when Recall starts, a phone registers anyway (the outbox takes the events), the
 * console shows the shipping lag, the broker comes up and every event reaches the
 * topic once; a restart recovers the registration from the local log.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { freePorts, startBroker, type Broker } from "../../infra/kafka/broker.js";
import { startRecall, type RecallProcess } from "./recall-process.js";
import { runSipp } from "../../sip/sipp/sipp.js";
import { registerWithAuth } from "../../sip/sipp/scenarios.js";
import { dumpTopic } from "../../events/kafka/testing.js";

const pjsip = (port: number) => `
[transport-udp]
type = transport
protocol = udp
bind = 127.0.0.1:${port}
[6001]
type = endpoint
context = from-internal
auth = 6001
aors = 6001
[6001]
type = auth
auth_type = userpass
username = 6001
password = secret
[6001]
type = aor
max_contacts = 1
`;

const recallConf = (kafkaPort: number) => `
[general]
node_id = pbx-e2e
[log]
backend = kafka
[kafka]
brokers = 127.0.0.1:${kafkaPort}
topic = recall-e2e
partitions = 3
`;

async function until(what: string, ms: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = performance.now() + ms;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test("Kafka down at start: calls' events wait in the outbox, ship once the broker is up, and survive a restart", async () => {
  const [kafkaPort, sipPort] = await freePorts(2);
  const files = { "pjsip.conf": pjsip(sipPort), "recall.conf": recallConf(kafkaPort) };
  let recall: RecallProcess | null = await startRecall(files);
  let broker: Broker | null = null;
  try {
    assert.match(recall.output(), /event log kafka topic recall-e2e via outbox .*; shipped 0, waiting 0/);
    const r = await runSipp({ scenario: registerWithAuth({ expires: 600 }), target: `127.0.0.1:${sipPort}`, calls: 1, inject: "SEQUENTIAL\n6001;secret\n", timeoutMs: 20_000 });
    assert.equal(r.code, 0, r.errors);
    const down = await recall.cli("recall show log");
    assert.match(down, /waiting [1-9]\d*, not connected/, down);
    await recall.waitFor(/NOTICE: kafka: cannot ship events to topic recall-e2e/, 15_000);

    broker = await startBroker({ port: kafkaPort });
    await until("shipping caught up", 60_000, async () => /waiting 0, connected/.test(await recall!.cli("recall show log")));
    const status = await recall.cli("recall show log");
    const total = Number(/Next offset: (\d+)/.exec(status)![1]);
    assert.ok(total > 0);
    const entries = await dumpTopic(broker.brokers, "recall-e2e");
    assert.deepEqual(entries.map((e) => e.offset).sort((a, b) => a - b), Array.from({ length: total }, (_, i) => i));
    assert.ok(entries.every((e) => e.node === "pbx-e2e"));

    const dataDir = recall.dataDir;
    await recall.stop();
    recall = await startRecall(files, { dataDir });
    assert.match(recall.output(), new RegExp(`${total} events, 1 live actors recovered`));
    assert.match(await recall.cli("pjsip show contacts"), /Contact:  6001\/sip:6001@127\.0\.0\.1:\d+/);
  } finally {
    await recall?.stop();
    await broker?.stop();
  }
});
