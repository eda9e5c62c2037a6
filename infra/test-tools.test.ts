import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readdirSync, rmSync, symlinkSync, existsSync } from "node:fs";
import { delimiter, join } from "node:path";
import { packageRoot } from "../interfaces/cli/paths.js";
import { tempDir } from "../core/reap.js";

/**
 * A PATH that finds everything this one does except the named commands: one directory of
 * links to every entry of every PATH directory, first one wins, as the shell looks them up.
 */
function pathWithout(hidden: string[]): string {
  const dir = tempDir("recall-path-");
  for (const source of (process.env.PATH ?? "").split(delimiter).filter(Boolean)) {
    let names: string[];
    try { names = readdirSync(source); } catch { continue; }
    for (const name of names) {
      if (hidden.includes(name) || existsSync(join(dir, name))) continue;
      symlinkSync(join(source, name), join(dir, name));
    }
  }
  return dir;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number) {
  return new Promise<{ code: number | null; out: string; ms: number }>((resolve, reject) => {
    const began = Date.now();
    const child = spawn(cmd, args, { cwd: packageRoot, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => { out += d; });
    child.stderr.setEncoding("utf8").on("data", (d: string) => { out += d; });
    const timer = setTimeout(() => { child.kill("SIGKILL"); reject(new Error(`${cmd} ${args.join(" ")} still running after ${timeoutMs} ms:\n${out}`)); }, timeoutMs);
    child.on("error", (e) => { clearTimeout(timer); reject(e); });
    child.on("exit", (code) => { clearTimeout(timer); resolve({ code, out, ms: Date.now() - began }); });
  });
}

test("without sipp, `npm test` stops within a minute naming sipp and the command that installs it", { timeout: 90_000 }, async (t) => {
  const path = pathWithout(["sipp"]);
  t.after(() => rmSync(path, { recursive: true, force: true }));
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: path };
  // npm_* variables of an enclosing `npm test` would make the inner npm think it is nested.
  for (const key of Object.keys(env)) if (key.startsWith("npm_")) delete env[key];
  const r = await run("npm", ["test"], env, 60_000);
  assert.notEqual(r.code, 0, r.out);
  assert.match(r.out, /The tests need a tool this machine does not have:\n\s+sipp\s+\(Debian: sip-tester\)/);
  assert.match(r.out, /Run `npm run test:full`: it installs them/);
  assert.match(r.out, /sudo apt-get install -y sip-tester\n/);
  assert.doesNotMatch(r.out, /baresip|clickhouse-server|java 17|panoramisk/, "only the missing tool is named");
  assert.doesNotMatch(r.out, /> recall@\S+ build|^# tests/m, "nothing is built or run before the check passes");
});

test("the check names every missing tool in one message, with one apt-get line for all", { timeout: 60_000 }, async (t) => {
  const path = pathWithout(["sipp", "baresip", "mvn", "cc"]);
  t.after(() => rmSync(path, { recursive: true, force: true }));
  const env = { ...process.env, PATH: path };
  const r = await run(process.execPath, [join(packageRoot, "infra", "test-tools.mjs")], env, 30_000);
  assert.equal(r.code, 1, r.out);
  for (const tool of ["sipp", "baresip", "mvn", "cc"]) assert.match(r.out, new RegExp(`^  ${tool} +\\(Debian: `, "m"));
  assert.match(r.out, /sudo apt-get install -y sip-tester baresip maven gcc\n/);
});
