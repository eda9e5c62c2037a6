// Exit 0 if the Kafka broker at argv[2] answers a metadata request, 1 otherwise (used by start.sh).
import kafkajs from "kafkajs";

const { Kafka, logLevel } = kafkajs;
const admin = new Kafka({ brokers: [process.argv[2]], logLevel: logLevel.NOTHING, connectionTimeout: 1000, requestTimeout: 2000, retry: { retries: 0 } }).admin();
try {
  await admin.connect();
  const { brokers, controller } = await admin.describeCluster();
  process.exitCode = brokers.length > 0 && controller !== null ? 0 : 1;
} catch {
  process.exitCode = 1;
} finally {
  await admin.disconnect().catch(() => undefined);
}
