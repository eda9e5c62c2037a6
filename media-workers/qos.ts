/**
 * tos_audio / cos_audio on a session's sockets. Node's UDP sockets cannot set IP_TOS or
 * SO_PRIORITY, so the marks go through a native helper (qos/qos.c, built by
 * `npm run build` into dist/). Without it nothing is marked and `applyQos` says why.
 */
import { createRequire } from "node:module";
import type { Socket } from "node:dgram";

interface QosHelper { set(fd: number, tos: number, priority: number): void; get(fd: number): [number, number] }

let helper: QosHelper | string | undefined;
function load(): QosHelper | string {
  if (helper === undefined) {
    try { helper = createRequire(import.meta.url)("./qos.node") as QosHelper; }
    catch (e) { helper = `the qos helper is not built (${(e as Error).message.split("\n")[0]}); it needs a C compiler and Node's headers at npm install`; }
  }
  return helper;
}

/** The socket's descriptor: Node shows it only on the deprecated `_handle` (DEP0112), read here without the warning. */
function fdOf(sock: Socket): number | undefined {
  const quiet = process.noDeprecation;
  process.noDeprecation = true;
  try { return (sock as unknown as { _handle?: { fd?: number } })._handle?.fd; } finally { process.noDeprecation = quiet; }
}

/** Marks a bound socket's packets: IP TOS byte `tos`, and 802.1p priority `cos` (SO_PRIORITY) when above 0. Returns why not, or undefined. */
export function applyQos(sock: Socket, tos: number, cos: number): string | undefined {
  const h = load();
  if (typeof h === "string") return h;
  const fd = fdOf(sock);
  if (fd === undefined || fd < 0) return "the socket's descriptor is not available";
  try { h.set(fd, tos, cos); return undefined; } catch (e) { return (e as Error).message; }
}

/** [tos, priority] as the OS has them for this socket, or undefined without the helper. */
export function readQos(sock: Socket): [number, number] | undefined {
  const h = load(), fd = fdOf(sock);
  return typeof h === "string" || fd === undefined ? undefined : h.get(fd);
}
