/**
 * The control socket of a running instance (`DATA/recall.ctl`), what `recall cli`
 * talks to, like Asterisk's asterisk.ctl. One command line in, its output back, then
 * the server closes the connection.
 */
import { createServer, createConnection, type Server } from "node:net";
import { existsSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import type { CommandTable } from "../../core/commands.js";

export const controlSocketPath = (dataDir: string) => join(dataDir, "recall.ctl");

export function serveConsole(dataDir: string, table: CommandTable): Promise<Server> {
  const path = controlSocketPath(dataDir);
  if (existsSync(path)) unlinkSync(path); // left by a process that died; the log lock already proved we are alone
  const server = createServer((socket) => {
    let line = "";
    socket.setEncoding("utf8");
    socket.on("data", async (chunk: string) => {
      line += chunk;
      const end = line.indexOf("\n");
      if (end < 0) return;
      socket.pause();
      try {
        socket.end(await table.run(line.slice(0, end)));
      } catch (e) {
        socket.end(`Command failed: ${(e as Error).message}\n`);
      }
    });
    socket.on("error", () => socket.destroy());
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(path, () => resolve(server));
  });
}

/** Send one command to the instance using `dataDir`; resolves with its output. */
export function sendCommand(dataDir: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(controlSocketPath(dataDir));
    let out = "";
    socket.setEncoding("utf8");
    socket.on("connect", () => socket.write(`${command.replace(/\n/g, " ")}\n`));
    socket.on("data", (d: string) => { out += d; });
    socket.on("end", () => resolve(out));
    socket.on("error", (e: NodeJS.ErrnoException) => {
      reject(e.code === "ENOENT" || e.code === "ECONNREFUSED"
        ? new Error(`Unable to connect to a running Recall (${controlSocketPath(dataDir)}); is it running with --data ${dataDir}?`)
        : e);
    });
  });
}
