/**
 * The HTTP server of a running Recall (http.conf) with what mounts on it today: SIP
 * over WebSocket at `/ws` (the pjsip.conf `ws`/`wss` transports, as Asterisk's
 * res_pjsip_transport_websocket registers it with res_http_websocket), and the
 * `http show status` console command. A listener that cannot start is logged, not fatal.
 */
import type { Logger } from "../../core/logger.js";
import type { TransportLayer } from "../../sip/transport/index.js";
import type { CommandTable } from "../../core/commands.js";
import type { HttpConf } from "../http/http-conf.js";
import { HttpServer } from "../http/server.js";

export async function startHttp(conf: HttpConf, transports: TransportLayer, table: CommandTable, logger: Logger, serverName: string): Promise<HttpServer> {
  const http = new HttpServer({ serverName, ...conf });
  http.upgrade("/ws", "Asterisk HTTP WebSocket", (request, socket, head, secure) => {
    const transport = transports.webSocket(secure);
    if (transport) return transport.upgrade(request, socket, head);
    // No ws/wss transport in pjsip.conf: nothing to hand the connection to.
    socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", () => socket.destroy());
  });
  try {
    await http.start();
  } catch (e) {
    // As Asterisk does when it cannot bind: the error is logged, SIP and the rest run without the HTTP server.
    logger.log("ERROR", "http.c", `${(e as Error).message}; the HTTP server is not running`);
    await http.stop();
  }
  // A WebSocket transport advertises the address of the listener that serves it.
  for (const secure of [false, true]) {
    const address = secure ? http.secure : http.plain;
    const transport = transports.webSocket(secure);
    if (address && transport && (transport.protocol === (secure ? "wss" : "ws") || transport.local.port === 0)) {
      transport.served(address);
      logger.log("VERBOSE", "res_pjsip_transport_websocket.c", `Transport '${transport.name}' served at ${secure ? "wss" : "ws"}://${address.host.includes(":") ? `[${address.host}]` : address.host}:${address.port}/ws`);
    }
  }
  table.register("http show status", "Display HTTP server status", () => http.status());
  if (http.plain) logger.log("VERBOSE", "http.c", `HTTP server listening on ${http.plain.host}:${http.plain.port}`);
  if (http.secure) logger.log("VERBOSE", "http.c", `HTTPS server listening on ${http.secure.host}:${http.secure.port}`);
  return http;
}
