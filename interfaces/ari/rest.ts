/**
 * ARI's REST layer: one table of operations per resource family drives both the
 * router and the Swagger 1.2 documents (`/ari/api-docs/...`) that ari-client and the
 * other generated clients load, so what is documented is exactly what is served.
 *
 * Contract of the router (Asterisk's res_ari answers):
 * - a path no operation has: 404 `{"message":"Resource not found"}`;
 * - a path that exists with another method: 405 `{"message":"Invalid method"}`;
 * - a missing required parameter or a value of the wrong type: 400 naming the parameter;
 * - a JSON body's fields count as query parameters (as res_ari merges them), and a
 *   `containers` body parameter (`variables`) is read from the field of its name;
 * - a handler's AriError becomes its status with `{"message": ...}`; anything else 500.
 */
import type { IncomingMessage, ServerResponse } from "node:http";

export type ParamType = "string" | "int" | "long" | "boolean" | "containers" | "object";

export interface Param {
  readonly name: string;
  readonly paramType: "path" | "query" | "body";
  readonly dataType: ParamType;
  readonly required?: boolean;
  readonly allowMultiple?: boolean;
  readonly allowed?: readonly string[];
  readonly defaultValue?: string | number | boolean;
  readonly description?: string;
}

export interface ErrorResponse { readonly code: number; readonly reason: string }

export interface Operation {
  readonly method: "GET" | "POST" | "PUT" | "DELETE";
  /** `/channels/{channelId}/answer`, below `/ari`. */
  readonly path: string;
  readonly nickname: string;
  readonly summary: string;
  /** Swagger response class: a model name, `List[Model]`, `void`, `binary`. */
  readonly responseClass: string;
  readonly params: readonly Param[];
  readonly errors?: readonly ErrorResponse[];
  readonly handler: (request: AriCall) => AriReply | Promise<AriReply>;
}

export interface ModelProperty { readonly type: string; readonly required?: boolean; readonly description?: string }
export interface Model { readonly id: string; readonly description?: string; readonly properties: Readonly<Record<string, ModelProperty>>; readonly subTypes?: readonly string[]; readonly extends?: string }

export interface ResourceFamily {
  /** `channels`: its document is `/api-docs/channels.json`. */
  readonly name: string;
  readonly description: string;
  readonly operations: readonly Operation[];
  readonly models?: readonly Model[];
}

/** Parameters after validation: strings, numbers, booleans, objects, string lists. */
export type Values = Readonly<Record<string, unknown>>;

export interface AriCall {
  readonly params: Values;
  readonly user: string;
  readonly request: IncomingMessage;
}

export interface AriReply {
  readonly status: number;
  readonly body?: unknown;
  readonly binary?: { readonly type: string; readonly data: Buffer };
  /**
   * What the operation does once its answer is written (ARI's hang-up and continue are
   * requests, as Asterisk queues a soft hang-up): the dialplan steps they set off do not
   * hold the answer back.
   */
  readonly afterwards?: () => void;
}

export class AriError extends Error {
  constructor(readonly status: number, message: string) { super(message); }
}

export const ok = (body: unknown): AriReply => ({ status: 200, body });
export const noContent: AriReply = { status: 204 };

interface Compiled { readonly op: Operation; readonly segments: readonly string[] }

export class AriRouter {
  private readonly compiled: Compiled[] = [];

  constructor(readonly families: readonly ResourceFamily[]) {
    for (const f of families) for (const op of f.operations) this.compiled.push({ op, segments: op.path.split("/").filter(Boolean) });
  }

  /** The operation for `method path` with its path parameters, or why there is none. */
  match(method: string, path: string): { op: Operation; path: Record<string, string> } | { status: 404 | 405 } {
    const parts = path.split("/").filter(Boolean).map((p) => { try { return decodeURIComponent(p); } catch { return p; } });
    let found = false;
    for (const c of this.compiled) {
      if (c.segments.length !== parts.length) continue;
      const values: Record<string, string> = {};
      let fits = true;
      for (let i = 0; i < parts.length && fits; i++) {
        const s = c.segments[i];
        if (s.startsWith("{")) values[s.slice(1, -1)] = parts[i];
        else fits = s === parts[i];
      }
      if (!fits) continue;
      found = true;
      if (c.op.method === method) return { op: c.op, path: values };
    }
    return { status: found ? 405 : 404 };
  }

  /** Validate and convert parameters from the path, query and JSON body; throws AriError(400). */
  static values(op: Operation, path: Record<string, string>, query: URLSearchParams, body: unknown): Values {
    const out: Record<string, unknown> = {};
    const fields = body && typeof body === "object" && !Array.isArray(body) ? body as Record<string, unknown> : {};
    for (const p of op.params) {
      let raw: unknown;
      if (p.paramType === "path") raw = path[p.name];
      else if (p.paramType === "body") raw = p.name in fields ? fields[p.name] : (p.dataType === "object" ? body : undefined);
      else raw = query.has(p.name) ? (p.allowMultiple ? query.getAll(p.name).join(",") : query.get(p.name)) : fields[p.name];
      if (raw === undefined || raw === null || raw === "") {
        if (p.required) throw new AriError(400, `${p.name}: parameter missing`);
        if (p.defaultValue !== undefined) out[p.name] = p.defaultValue;
        continue;
      }
      out[p.name] = convert(p, raw);
    }
    return out;
  }
}

function convert(p: Param, raw: unknown): unknown {
  const text = typeof raw === "string" ? raw : typeof raw === "number" || typeof raw === "boolean" ? String(raw) : undefined;
  switch (p.dataType) {
    case "int": case "long": {
      const n = Number(text);
      if (text === undefined || !/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(n)) throw new AriError(400, `${p.name}: an integer, not ${JSON.stringify(raw)}`);
      return n;
    }
    case "boolean": {
      const t = text?.toLowerCase();
      if (t === "true" || t === "yes" || t === "1") return true;
      if (t === "false" || t === "no" || t === "0") return false;
      throw new AriError(400, `${p.name}: true or false, not ${JSON.stringify(raw)}`);
    }
    case "containers": case "object": {
      const v = typeof raw === "string" ? safeJson(raw, p.name) : raw;
      if (!v || typeof v !== "object" || Array.isArray(v)) throw new AriError(400, `${p.name}: a JSON object`);
      return v;
    }
    default: {
      if (text === undefined) throw new AriError(400, `${p.name}: a string, not ${JSON.stringify(raw)}`);
      if (p.allowMultiple) {
        const list = text.split(",").map((s) => s.trim()).filter(Boolean);
        for (const v of list) if (p.allowed && !p.allowed.includes(v)) throw new AriError(400, `${p.name}: one of ${p.allowed.join(", ")}, not "${v}"`);
        return list;
      }
      if (p.allowed && !p.allowed.includes(text)) throw new AriError(400, `${p.name}: one of ${p.allowed.join(", ")}, not "${text}"`);
      return text;
    }
  }
}

function safeJson(text: string, name: string): unknown {
  try { return JSON.parse(text); } catch { throw new AriError(400, `${name}: not valid JSON`); }
}

/** Request bodies larger than this are refused (413). */
export const MAX_BODY_BYTES = 1 << 20;

export function readBody(request: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) { reject(new AriError(413, "Request body too large")); request.destroy(); return; }
      chunks.push(c);
    });
    request.on("error", reject);
    request.on("end", () => {
      if (size === 0) return resolve(undefined);
      const text = Buffer.concat(chunks).toString("utf8");
      const type = request.headers["content-type"] ?? "";
      if (!/json/i.test(type) && !/^\s*[{[]/.test(text)) return resolve(undefined);
      try { resolve(JSON.parse(text)); } catch { reject(new AriError(400, "Request body is not valid JSON")); }
    });
  });
}

export function send(response: ServerResponse, reply: AriReply, pretty: boolean, headers: Record<string, string> = {}): void {
  if (response.headersSent) return;
  if (reply.binary) {
    response.writeHead(reply.status, { ...headers, "Content-Type": reply.binary.type, "Content-Length": reply.binary.data.length }).end(reply.binary.data);
    return;
  }
  if (reply.body === undefined) {
    response.writeHead(reply.status, { ...headers, "Content-Length": 0 }).end();
    return;
  }
  const text = pretty ? JSON.stringify(reply.body, null, 2) : JSON.stringify(reply.body);
  response.writeHead(reply.status, { ...headers, "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) }).end(text);
}
