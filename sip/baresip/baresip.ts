/**
 * Running baresip (Debian's package) headless from tests: its own config directory
 * (no audio devices; file and G.711 modules only), one account, a fixed local port.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "../../core/reap.js";

export interface BaresipOptions {
  /** The account line, e.g. `<sip:6001@127.0.0.1:5060;transport=udp>;auth_pass=secret;regint=60`. */
  readonly account: string;
  readonly localPort: number;
  /** Extra `config` lines. */
  readonly config?: readonly string[];
  /** Commands run at start (`-e`), e.g. `/dial sip:6002@...`. */
  readonly commands?: readonly string[];
  /** Lines of the `contacts` file (with `;presence=p2p`, the presence module subscribes to them). */
  readonly contacts?: readonly string[];
  /** Quit (hanging up any call) after this many seconds (`-t`). */
  readonly quitAfterSeconds?: number;
}

export interface Baresip {
  readonly child: ChildProcess;
  output(): string;
  /** Settles when the process has exited. */
  readonly exited: Promise<void>;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Quit (baresip unregisters on the way out); resolves when it has exited. */
  stop(): Promise<void>;
}

export function startBaresip(o: BaresipOptions): Baresip {
  const dir = tempDir("recall-baresip-");
  writeFileSync(join(dir, "config"), [
    "poll_method epoll",
    `sip_listen 127.0.0.1:${o.localPort}`,
    "module_path /usr/lib/baresip/modules",
    "module g711.so",
    "module stdio.so", // reads the "q" stop() writes (it warns that stdin is no terminal, and works)
    "module_app account.so",
    ...(o.commands?.length ? ["module_app menu.so"] : []), // /dial and friends
    ...(o.config ?? []),
  ].join("\n") + "\n");
  writeFileSync(join(dir, "accounts"), `${o.account}\n`);
  if (o.contacts) writeFileSync(join(dir, "contacts"), o.contacts.map((c) => `${c}\n`).join(""));
  const args = ["-f", dir, ...(o.commands ?? []).flatMap((c) => ["-e", c]), ...(o.quitAfterSeconds ? ["-t", String(o.quitAfterSeconds)] : [])];
  const child = spawn("baresip", args, { stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => { out += d; });
  child.stderr!.setEncoding("utf8").on("data", (d: string) => { out += d; });
  // No baresip on PATH (spawn ENOENT) never emits 'exit': settle on the error too.
  let failed = "";
  const exited = new Promise<void>((r) => { child.on("exit", () => r()); child.on("error", (e) => { failed = e.message; out += `${e.message}\n`; r(); }); });
  const killer = setTimeout(() => child.kill("SIGKILL"), 120_000);
  exited.then(() => clearTimeout(killer));
  return {
    child,
    exited,
    output: () => out,
    waitFor: async (pattern, timeoutMs = 10_000) => {
      const until = Date.now() + timeoutMs;
      while (!pattern.test(out)) {
        if (Date.now() > until || child.exitCode !== null || failed) throw new Error(`baresip: no ${pattern} in:\n${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    stop: async () => {
      if (child.exitCode === null && !failed) {
        child.stdin!.write("q");
        const timer = setTimeout(() => child.kill("SIGTERM"), 5000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}
