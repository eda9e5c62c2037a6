/**
 * recall.conf: Recall's own settings, in Asterisk's file format. Everything else in
 * the config directory is an Asterisk file read as Asterisk reads it.
 *
 *   [general]  node_id = pbx1                    ; names this node in a multi-node log
 *              pin_event_loop = yes             ; the event loop on a CPU of its own (core/affinity.ts)
 *   [log]      backend = embedded | kafka
 *   [kafka]    brokers = 127.0.0.1:9092[,...]   topic = recall.events   partitions = 8
 *   [clickhouse], [projections]: see projections/config.ts
 *   [subscriptions]: see sip/subscription/limits-conf.ts
 *   [calls]: load shedding, see sip/call/admission.ts
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ConfError, parseConfFile } from "../../conf/tokenizer.js";
import { yesNo } from "../../conf/yes-no.js";

export interface RecallSettings {
  readonly nodeId: string;
  /** [general] pin_event_loop: the event loop on a CPU of its own (core/affinity.ts). */
  readonly pinEventLoop: boolean;
  readonly log: { readonly backend: "embedded" | "kafka" };
  readonly kafka: { readonly brokers: readonly string[]; readonly topic: string; readonly partitions: number; readonly clientId: string };
}

export const defaultSettings: RecallSettings = {
  nodeId: "recall",
  pinEventLoop: false,
  log: { backend: "embedded" },
  kafka: { brokers: ["127.0.0.1:9092"], topic: "recall.events", partitions: 8, clientId: "recall" },
};

/** Read DIR/recall.conf (absent: the defaults). Unknown sections or options are errors naming file and line. */
export function loadRecallConf(configDir: string): RecallSettings {
  const path = join(configDir, "recall.conf");
  if (!existsSync(path)) return defaultSettings;
  let nodeId = defaultSettings.nodeId;
  let pinEventLoop = defaultSettings.pinEventLoop;
  let backend = defaultSettings.log.backend;
  let { brokers, topic, partitions, clientId } = defaultSettings.kafka;
  for (const section of parseConfFile(path).sections) {
    // [clickhouse] and [projections] are read by projections/config.ts, [subscriptions] and [calls] by sip/.
    if (section.name === "clickhouse" || section.name === "projections" || section.name === "subscriptions" || section.name === "calls") continue;
    for (const e of section.entries) {
      const bad = (reason: string) => new ConfError(e.file, e.line, `[${section.name}] ${e.key}: ${reason}`);
      switch (`${section.name}.${e.key}`) {
        case "general.node_id":
          if (!/^[A-Za-z0-9_.-]+$/.test(e.value)) throw bad("letters, digits, '_', '.' and '-' only");
          nodeId = e.value;
          break;
        case "general.pin_event_loop": {
          const on = yesNo(e.value);
          if (on === undefined) throw bad(`'${e.value}' is not yes or no`);
          pinEventLoop = on;
          break;
        }
        case "log.backend":
          if (e.value !== "embedded" && e.value !== "kafka") throw bad(`'${e.value}' is not a log backend (embedded or kafka)`);
          backend = e.value;
          break;
        case "kafka.brokers":
          brokers = e.value.split(",").map((b) => b.trim()).filter(Boolean);
          if (!brokers.length || brokers.some((b) => !/^[^:\s]+:\d+$/.test(b))) throw bad("expected host:port[,host:port...]");
          break;
        case "kafka.topic":
          topic = e.value;
          break;
        case "kafka.client_id":
          clientId = e.value;
          break;
        case "kafka.partitions":
          partitions = Number(e.value);
          if (!Number.isInteger(partitions) || partitions < 1) throw bad("a positive whole number");
          break;
        default:
          throw bad("unknown option");
      }
    }
  }
  return { nodeId, pinEventLoop, log: { backend }, kafka: { brokers, topic, partitions, clientId } };
}
