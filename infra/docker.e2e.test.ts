/**
 * The Dockerfile builds an image that runs Recall as a non-root user and answers a
 * phone: a sipp REGISTER with the sample configuration's credentials gets its 200 OK.
 * Needs a Docker engine; where there is none the test is skipped and says why.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { promisify } from "node:util";
import { packageRoot } from "../interfaces/cli/paths.js";
import { freePort } from "../interfaces/cli/recall-process.js";
import { runSipp } from "../sip/sipp/sipp.js";
import { registerWithAuth } from "../sip/sipp/scenarios.js";

const run = promisify(execFile);

/** Why Docker cannot be used here, or undefined when it can. */
function dockerUnavailable(): string | undefined {
  const r = spawnSync("docker", ["info", "--format", "{{.ServerVersion}}"], { encoding: "utf8", timeout: 20_000 });
  if (r.error) return `no docker command (${r.error.message})`;
  if (r.status !== 0) return `no Docker engine answers: ${(r.stderr || r.stdout).trim().split("\n").pop()}`;
  return undefined;
}

const unavailable = dockerUnavailable();

test("the Docker image builds, runs as a non-root user and answers a sipp REGISTER", { timeout: 1_500_000, skip: unavailable }, async () => {
  const tag = `recall-test:${process.pid}`;
  const name = `recall-test-${process.pid}`;
  await run("docker", ["build", "-t", tag, packageRoot], { timeout: 1_200_000, maxBuffer: 64 * 1024 * 1024 });
  const port = await freePort();
  try {
    await run("docker", ["run", "-d", "--name", name, "-p", `127.0.0.1:${port}:5060/udp`, tag], { timeout: 60_000 });
    const until = Date.now() + 120_000;
    let logs = "";
    while (!/Recall ready/.test(logs) && Date.now() < until) {
      logs = (await run("docker", ["logs", name], { timeout: 20_000 })).stdout;
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.match(logs, /Recall ready/);
    const user = (await run("docker", ["exec", name, "id", "-un"], { timeout: 20_000 })).stdout.trim();
    assert.equal(user, "recall");
    const reg = await runSipp({ scenario: registerWithAuth({ expires: 60 }), target: `127.0.0.1:${port}`, calls: 1, inject: "SEQUENTIAL\n6001;reception-6001\n", timeoutMs: 30_000 });
    assert.equal(reg.code, 0, `${reg.errors}\n${logs}`);
    const contacts = (await run("docker", ["exec", name, "recall", "cli", "-rx", "pjsip show contacts"], { timeout: 20_000 })).stdout;
    assert.match(contacts, /6001/);
  } finally {
    await run("docker", ["rm", "-f", name], { timeout: 60_000 }).catch(() => undefined);
    await run("docker", ["rmi", "-f", tag], { timeout: 60_000 }).catch(() => undefined);
  }
});
