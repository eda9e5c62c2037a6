/**
 * The three bodies of Asterisk's HTTP manager, from the AMI text a request produced
 * (messages of `Key: Value` lines, each closed by an empty line):
 * - `/rawman`: that text as it is (text/plain);
 * - `/mxml`: `<ajax-response>` with one `<response type='object' id='ID'>` per message and
 *   its headers as the attributes of one `<generic .../>` element: names in lower case,
 *   characters other than letters and digits as `_`, a repeated name as `name-2`, `name-3`;
 *   `ajaxdest` and `ajaxobjtype` request parameters rename the id and the element;
 * - `/manager`: an HTML page with a two-column table row per header and a rule between
 *   messages, for a person trying actions from a browser.
 */
import type { Headers } from "./message.js";

export type ManagerFormat = "raw" | "xml" | "html";

export const CONTENT_TYPE: Readonly<Record<ManagerFormat, string>> = {
  raw: "text/plain; charset=utf-8", xml: "text/xml; charset=utf-8", html: "text/html; charset=utf-8",
};

/** The messages of AMI text, each as its headers in order. */
export function splitMessages(text: string): [string, string][][] {
  const out: [string, string][][] = [];
  let current: [string, string][] = [];
  for (const line of text.split("\r\n")) {
    if (line === "") { if (current.length) out.push(current); current = []; continue; }
    const colon = line.indexOf(":");
    current.push(colon > 0 ? [line.slice(0, colon), line.slice(colon + 1).trimStart()] : ["", line]);
  }
  if (current.length) out.push(current);
  return out;
}

const ESCAPES: Readonly<Record<string, string>> = { "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&apos;", "&": "&amp;" };
const escape = (s: string) => s.replace(/[<>"'&]/g, (c) => ESCAPES[c]);

/** An XML attribute name made from a header name. */
const attributeName = (name: string) => name.toLowerCase().replace(/[^a-z0-9]/g, "_") || "opaque_data";

function xmlMessage(headers: readonly (readonly [string, string])[], id: string, element: string): string {
  const seen = new Map<string, number>();
  let attributes = "";
  for (const [k, v] of headers) {
    const base = attributeName(k);
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    attributes += ` ${n > 1 ? `${base}-${n}` : base}='${escape(v)}'`;
  }
  return `<response type='object' id='${escape(id)}'><${element}${attributes} /></response>\n`;
}

/** The response body for `format`; `params` are the request's (ajaxdest, ajaxobjtype). */
export function managerBody(format: ManagerFormat, text: string, params: Headers = []): string {
  if (format === "raw") return text;
  const messages = splitMessages(text);
  if (format === "xml") {
    const param = (name: string) => params.find(([k]) => k.toLowerCase() === name)?.[1];
    const id = param("ajaxdest") || "unknown";
    const element = (param("ajaxobjtype") ?? "").replace(/[^A-Za-z0-9_-]/g, "") || "generic";
    return `<ajax-response>\n${messages.map((m) => xmlMessage(m, id, element)).join("")}</ajax-response>\n`;
  }
  const rows = messages.map((m) => m.map(([k, v]) => `<tr><td>${escape(k)}</td><td>${escape(v)}</td></tr>\n`).join("")
    + "<tr><td colspan=\"2\"><hr></td></tr>\n").join("");
  return "<!DOCTYPE html>\n<html><head><title>Recall Manager Interface</title></head><body>\n"
    + "<form action=\"manager\">action <input name=\"action\"> command <input name=\"command\"><br>"
    + "user <input name=\"username\"> secret <input type=\"password\" name=\"secret\"> <input type=\"submit\"></form>\n"
    + `<table>\n${rows}</table></body></html>\n`;
}
