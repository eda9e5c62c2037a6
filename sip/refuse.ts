/**
 * Refusing a request: the response, and one NOTICE line saying who was refused, with
 * what and why, so an operator (or a log shipper) can tell a broken phone from an attack.
 */
import type { Logger } from "../core/logger.js";
import { formatHost, reasonPhrase } from "./message/index.js";
import type { ServerTransaction } from "./transaction/index.js";
import type { Refusal } from "./screen.js";

export function refuse(tx: ServerTransaction, refusal: Refusal, logger: Logger): void {
  const { request: req, source } = tx;
  let from = "";
  try { from = req.get("From") ?? ""; } catch { /* unreadable From: say nothing of it */ }
  logger.log("NOTICE", "res_pjsip.c", `Request '${req.method}' from '${from.slice(0, 120)}' (${source.protocol.toUpperCase()}:${formatHost(source.host)}:${source.port}) refused with ${refusal.status} ${reasonPhrase(refusal.status)}: ${refusal.reason}`);
  tx.respond(refusal.status, refusal.headers ? { headers: refusal.headers.map(([n, v]) => [n, v] as [string, string]) } : {});
}
