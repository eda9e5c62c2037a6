/**
 * AGI's links to the outside world on Node: FastAGI over TCP (node:net) and local
 * programs (node:child_process, the environment and commands on stdin/stdout), and the
 * logging of each exchange as an `agi.command` input of the channel actor.
 *
 * A local program's standard error is Recall's (Asterisk's console gets it the same way).
 *
 * Bounds: a line from a program is at most MAX_LINE bytes (longer ends the session as
 * an error); a connection attempt gives up after the caller's connect time; a local
 * program still running 5 s after its session ended is killed.
 */
import { connect as tcpConnect, type Socket } from "node:net";
import { spawn as spawnProcess, type ChildProcess } from "node:child_process";
import { accessSync, constants, existsSync, statSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import type { Readable, Writable } from "node:stream";
import type { ActorRuntime } from "../../actors/runtime.js";
import type { AgiAudioSink, AgiLink, AgiOpen, AgiRead, AgiServices } from "../../dialplan/apps/agi/services.js";

export const MAX_LINE = 64 * 1024;
const KILL_AFTER_MS = 5000;
/** EAGI: bytes of audio that may wait for the program (3 s of 8 kHz 16-bit). */
const EAGI_BUFFER = 48_000;

/** A line link over a readable and a writable stream; `end` says how the other side finished. */
class StreamLink implements AgiLink {
  private readonly lines: string[] = [];
  private partial = "";
  private ended: AgiRead | undefined;
  private waiter: ((r: AgiRead) => void) | undefined;

  constructor(
    input: Readable,
    private readonly output: Writable,
    private readonly onHangup: () => void,
    private readonly onClose: () => void,
  ) {
    input.setEncoding("utf8");
    input.on("data", (chunk: string) => this.data(chunk));
    output.on("error", () => undefined); // a write to a closed program: its end shows up on the reading side
  }

  private data(chunk: string): void {
    if (this.ended) return;
    const parts = (this.partial + chunk).split("\n");
    this.partial = parts.pop() ?? "";
    for (const line of parts) this.push({ kind: "line", text: line });
    if (this.partial.length > MAX_LINE) this.finish({ kind: "error", message: `a line longer than ${MAX_LINE} bytes` });
  }

  private push(r: AgiRead): void {
    const w = this.waiter;
    if (w) { this.waiter = undefined; w(r); } else if (r.kind === "line") this.lines.push(r.text);
  }

  /** The other side is done (closed, failed): after the lines already received. */
  finish(r: AgiRead): void {
    if (this.ended) return;
    this.ended = r;
    if (this.lines.length === 0) this.push(r);
  }

  send(text: string): void {
    if (this.output.writable) this.output.write(text);
  }

  next(idleMs: number): Promise<AgiRead> {
    const line = this.lines.shift();
    if (line !== undefined) return Promise.resolve({ kind: "line", text: line });
    if (this.ended) return Promise.resolve(this.ended);
    return new Promise((resolve) => {
      const timer = idleMs > 0 ? setTimeout(() => { this.waiter = undefined; resolve({ kind: "timeout" }); }, idleMs) : undefined;
      this.waiter = (r) => { if (timer) clearTimeout(timer); resolve(r); };
    });
  }

  hangup(): void { this.onHangup(); }
  close(): void { this.onClose(); }
}

function connect(host: string, port: number, connectMs: number): Promise<AgiOpen> {
  return new Promise((resolve) => {
    const socket: Socket = tcpConnect({ host, port });
    let settled = false;
    const timer = setTimeout(() => fail(`connecting to ${host}:${port} timed out after ${connectMs} ms`), connectMs);
    function fail(message: string): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ kind: "failed", message });
    }
    socket.once("error", (e) => fail(`connect to ${host}:${port}: ${e.message}`));
    socket.once("connect", () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.setNoDelay(true);
      const link = new StreamLink(socket, socket, () => link.send("HANGUP\n"), () => socket.end());
      socket.on("error", (e) => link.finish({ kind: "error", message: e.message }));
      socket.on("end", () => link.finish({ kind: "closed" }));
      socket.on("close", () => link.finish({ kind: "closed" }));
      resolve({ kind: "open", link });
    });
  });
}

function spawn(agiDir: string, script: string, args: readonly string[], options: { enhanced: boolean; sighup: boolean }): Promise<AgiOpen> {
  const path = isAbsolute(script) ? script : join(agiDir, script);
  if (!existsSync(path) || !statSync(path).isFile()) return Promise.resolve({ kind: "notfound", message: `File ${path} does not exist.` });
  try { accessSync(path, constants.X_OK); } catch { return Promise.resolve({ kind: "failed", message: `${path} is not executable` }); }
  return new Promise((resolve) => {
    // EAGI's descriptor 3 is a pipe the program reads the caller's audio from (runAgi feeds it).
    const child: ChildProcess = spawnProcess(path, [...args], { stdio: ["pipe", "pipe", "inherit", ...(options.enhanced ? ["pipe" as const] : [])] });
    const fd3 = options.enhanced ? (child.stdio[3] as Writable | null) : null;
    fd3?.on("error", () => undefined); // the program closed its end: the frames stop mattering
    const audio: AgiAudioSink | undefined = fd3 ? {
      // At most EAGI_BUFFER bytes (about 3 s of audio) wait for a program that reads slowly; later frames are dropped.
      write: (pcm) => { if (!fd3.destroyed && fd3.writableLength < EAGI_BUFFER) fd3.write(pcm); },
      end: () => { fd3.end(); },
    } : undefined;
    child.once("error", (e) => { resolve({ kind: "failed", message: e.message }); });
    child.once("spawn", () => {
      let killer: NodeJS.Timeout | undefined;
      const link = new StreamLink(child.stdout!, child.stdin!,
        () => { if (options.sighup && child.exitCode === null) child.kill("SIGHUP"); },
        () => {
          child.stdin?.end();
          if (child.exitCode === null && child.signalCode === null) { killer = setTimeout(() => child.kill("SIGKILL"), KILL_AFTER_MS); killer.unref(); }
        });
      child.once("close", (code) => { if (killer) clearTimeout(killer); link.finish({ kind: "closed", ...(code !== null ? { exitCode: code } : {}) }); });
      resolve({ kind: "open", link, ...(audio ? { audio } : {}) });
    });
  });
}

/** AGI services for a running Recall: programs under `agiDir`, exchanges logged on `runtime`'s channel actors. */
export function nodeAgiServices(o: { readonly runtime: ActorRuntime; readonly agiDir: string; readonly version: string }): AgiServices & { debugging: boolean } {
  return {
    version: o.version,
    debugging: false,
    debug() { return this.debugging; },
    connect,
    spawn: (script, args, options) => spawn(o.agiDir, script, args, options),
    record: (channelId, command, result) => { o.runtime.send(channelId, { source: "agi", type: "agi.command", command, result }); },
  };
}
