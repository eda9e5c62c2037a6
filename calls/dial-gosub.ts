/**
 * The Gosub targets of Dial's U(), b() and B() options and what a U() subroutine
 * asks for in GOSUB_RESULT. No imports: the call layer reads them too.
 */

/**
 * Dial's U(x[^arg...]) to a Gosub target: `x` is a context (run from s,1) or a full
 * `context,exten,priority`; `^` separates the arguments.
 */
export function calleeGosubTarget(spec: string): string {
  const [location = "", ...args] = spec.split("^");
  const where = location.includes(",") ? location : `${location},s,1`;
  return args.length > 0 ? `${where}(${args.join(",")})` : where;
}

/** Dial's b(...)/B(...): `context^exten^priority[(arg1[^...])]`, all `^` being commas. */
export function predialGosubTarget(spec: string): string {
  const open = spec.indexOf("(");
  const location = (open < 0 ? spec : spec.slice(0, open)).split("^").join(",");
  if (open < 0) return location;
  const close = spec.lastIndexOf(")");
  const args = spec.slice(open + 1, close > open ? close : undefined).split("^").join(",");
  return `${location}(${args})`;
}

export type CalleeGosubAction =
  | { readonly action: "continue" }
  | { readonly action: "abort" | "congestion" | "busy" }
  | { readonly action: "goto"; readonly target: string };

/**
 * What a U() subroutine asked for in GOSUB_RESULT: ABORT (hang up both), CONGESTION or
 * BUSY (the called leg fails so), CONTINUE (hang up the called leg, the caller goes on),
 * GOTO:[[context^]exten^]priority (the caller goes there); anything else bridges.
 * CONTINUE with nothing set means "bridge" and is reported as `undefined`.
 */
export function calleeGosubAction(result: string | undefined): CalleeGosubAction | undefined {
  const r = (result ?? "").trim();
  const upper = r.toUpperCase();
  if (upper === "ABORT") return { action: "abort" };
  if (upper === "CONGESTION") return { action: "congestion" };
  if (upper === "BUSY") return { action: "busy" };
  if (upper === "CONTINUE") return { action: "continue" };
  if (upper.startsWith("GOTO:")) return { action: "goto", target: r.slice(5).split("^").join(",") };
  return undefined;
}
