/**
 * chDB locks its data directory to one process, so while Recall runs, `recall query`
 * sends its SQL here: DATA/projections/query.sock, one JSON request and one JSON
 * answer per connection ({sql, format} → {ok, text} | {ok: false, error}).
 */
import { createConnection, createServer, type Server } from "node:net";
import { existsSync, mkdirSync, unlinkSync } from "node:fs";
import { join } from "node:path";

export const querySocket = (dataDir: string) => join(dataDir, "projections", "query.sock");

export async function serveQueries(dataDir: string, run: (sql: string, format: string) => Promise<string>): Promise<{ close(): Promise<void> }> {
  const path = querySocket(dataDir);
  mkdirSync(join(dataDir, "projections"), { recursive: true });
  if (existsSync(path)) unlinkSync(path); // left by a process that died: chDB's own lock already proved we are the only one
  const server: Server = createServer((socket) => {
    let buf = "";
    socket.setEncoding("utf8");
    socket.on("data", (d) => {
      buf += d;
      const nl = buf.indexOf("\n");
      if (nl < 0) return;
      let req: { sql: string; format: string };
      try { req = JSON.parse(buf.slice(0, nl)); } catch { socket.end(`${JSON.stringify({ ok: false, error: "bad request" })}\n`); return; }
      run(req.sql, req.format).then(
        (text) => socket.end(`${JSON.stringify({ ok: true, text })}\n`),
        (e: Error) => socket.end(`${JSON.stringify({ ok: false, error: e.message })}\n`),
      );
    });
    socket.on("error", () => undefined);
  });
  await new Promise<void>((resolve, reject) => { server.once("error", reject); server.listen(path, resolve); });
  return { close: () => new Promise<void>((r) => server.close(() => { try { unlinkSync(path); } catch { /* gone */ } r(); })) };
}

/** Ask a running Recall; undefined when none listens on this data directory. */
export function askRunning(dataDir: string, sql: string, format: string): Promise<{ ok: boolean; text?: string; error?: string } | undefined> {
  const path = querySocket(dataDir);
  if (!existsSync(path)) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const socket = createConnection(path);
    let buf = "";
    socket.setEncoding("utf8");
    socket.on("connect", () => socket.write(`${JSON.stringify({ sql, format })}\n`));
    socket.on("data", (d) => { buf += d; });
    socket.on("end", () => { try { resolve(JSON.parse(buf)); } catch { resolve(undefined); } });
    socket.on("error", () => resolve(undefined));
  });
}
