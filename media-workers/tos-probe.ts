/**
 * For tests: a UDP receiver that reports the TOS byte of the first packet to reach it,
 * read from the IP header as a router would see it (IP_RECVTOS). Node's sockets cannot
 * read it, so a few lines of Python do.
 */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { python3 } from "../core/python.js";

const RECEIVER = `
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, socket.IP_RECVTOS, 1)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1], flush=True)
s.settimeout(10)
data, anc, flags, addr = s.recvmsg(2048, socket.CMSG_SPACE(1))
print(next((d[0] for level, kind, d in anc if level == socket.IPPROTO_IP and kind == socket.IP_TOS), -1), flush=True)
`;

export async function tosProbe(): Promise<{ port: number; tos: Promise<number>; close(): void }> {
  const py = spawn(python3, ["-c", RECEIVER], { stdio: ["ignore", "pipe", "inherit"] });
  const lines = createInterface({ input: py.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const r = await lines.next();
    if (r.done) throw new Error("the TOS probe ended without an answer");
    return Number(r.value);
  };
  const port = await next();
  const tos = next();
  tos.catch(() => undefined); // closed before a packet came: only an awaiting test cares
  return { port, tos, close: () => { py.kill(); } };
}
