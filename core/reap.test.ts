import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, rmSync } from "node:fs";

// A process that makes a temporary directory with a file in it and prints its path, then
// lives until told: "exit" ends it on its own once its stdin closes; "wait" waits for the
// SIGTERM a test runner's time limit sends.
const reap = new URL("./reap.js", import.meta.url).href;
const script = (how: "exit" | "wait") => `
  import { tempDir } from ${JSON.stringify(reap)};
  import { writeFileSync } from "node:fs";
  const dir = tempDir("recall-reap-test-");
  writeFileSync(dir + "/log", "x");
  console.log(dir);
  ${how === "wait" ? "setInterval(() => {}, 1000);" : "process.stdin.resume();"}`;

async function run(how: "exit" | "wait", env: Record<string, string> = {}): Promise<{ dir: string; code: number | null }> {
  const child = spawn(process.execPath, ["--input-type=module", "-e", script(how)], { env: { ...process.env, ...env }, stdio: ["pipe", "pipe", "inherit"] });
  const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
  let out = "";
  const dir = await new Promise<string>((resolve) => child.stdout.setEncoding("utf8").on("data", (d: string) => { out += d; if (out.includes("\n")) resolve(out.trim()); }));
  assert.ok(existsSync(`${dir}/log`), "the directory exists while the process runs");
  if (how === "wait") child.kill("SIGTERM");
  else child.stdin.end();
  return { dir, code: await exited };
}

test("a temporary directory is removed when its process exits", async () => {
  const { dir, code } = await run("exit");
  assert.equal(code, 0);
  assert.equal(existsSync(dir), false);
});

test("a temporary directory is removed when its process is stopped by SIGTERM", async () => {
  const { dir, code } = await run("wait");
  assert.equal(code, 143);
  assert.equal(existsSync(dir), false);
});

test("RECALL_KEEP_TEMP=1 keeps it to look into", async () => {
  const { dir } = await run("exit", { RECALL_KEEP_TEMP: "1" });
  assert.ok(existsSync(`${dir}/log`));
  rmSync(dir, { recursive: true });
});
