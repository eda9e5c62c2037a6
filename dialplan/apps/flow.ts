/**
 * Where the dialplan goes: Goto, GotoIf, GotoIfTime, Gosub, GosubIf, Return, ExecIf.
 */
import type { Application, ExecutionEnv } from "../executor.js";
import { isTrueCondition } from "../expression.js";
import { parseTiming, timingHoldsAt } from "../timing.js";
import { findApplication, CONTINUE, END, type AppResult } from "./index.js";

function goto(env: ExecutionEnv, target: string, app: string): AppResult {
  if (target.trim() === "") { env.warn("pbx.c", `${app} requires an argument ([[context,]extension,]priority)`); return END; }
  const to = env.resolveGoto(target);
  if (typeof to === "string") { env.warn("pbx.c", to); return END; }
  env.verbose(`Goto (${to.context},${to.exten},${to.priority})`);
  return { kind: "goto", to };
}

/** `condition?iftrue:iffalse` split as Asterisk does: at the first `?`, then the first `:`. */
export function splitCondition(data: string): { condition: string; ifTrue: string; ifFalse: string } | undefined {
  const q = data.indexOf("?");
  if (q < 0) return undefined;
  const branches = data.slice(q + 1);
  const c = branches.indexOf(":");
  return { condition: data.slice(0, q), ifTrue: c < 0 ? branches : branches.slice(0, c), ifFalse: c < 0 ? "" : branches.slice(c + 1) };
}

const Goto: Application = (env, data) => goto(env, data, "Goto");

const GotoIf: Application = (env, data) => {
  const parts = splitCondition(data);
  if (!parts) { env.warn("pbx.c", "GotoIf requires an argument (condition?iftrue:iffalse)"); return CONTINUE; }
  const branch = isTrueCondition(parts.condition) ? parts.ifTrue : parts.ifFalse;
  return branch.trim() === "" ? CONTINUE : goto(env, branch, "GotoIf");
};

/** GotoIfTime(times,weekdays,mdays,months[,timezone]?iftrue:iffalse), at the channel clock's now. */
const GotoIfTime: Application = (env, data) => {
  const parts = splitCondition(data);
  if (!parts) { env.warn("pbx.c", "GotoIfTime requires an argument:\n  <time range>,<days of week>,<days of month>,<months>[,<timezone>]?'labeliftrue':'labeliffalse'"); return CONTINUE; }
  const timing = parseTiming(parts.condition.trim(), (m) => env.warn("pbx_timing.c", m));
  const holds = timingHoldsAt(timing, env.channel.now(), env.deps.timezone);
  const branch = holds ? parts.ifTrue : parts.ifFalse;
  return branch.trim() === "" ? CONTINUE : goto(env, branch, "GotoIfTime");
};

const Gosub: Application = (env, data) => {
  if (data.trim() === "") { env.warn("app_stack.c", "Gosub requires an argument: Gosub([[context,]exten,]priority[(arg1[,...][,argN])])"); return END; }
  return env.gosub(data);
};

const GosubIf: Application = (env, data) => {
  const parts = splitCondition(data);
  if (!parts) { env.warn("app_stack.c", "GosubIf requires an argument: GosubIf(cond?label1(args):label2(args)"); return CONTINUE; }
  const branch = isTrueCondition(parts.condition) ? parts.ifTrue : parts.ifFalse;
  return branch.trim() === "" ? CONTINUE : env.gosub(branch);
};

const Return: Application = (env, data) => env.gosubReturn(data === "" ? undefined : data);

/** ExecIf(expr?app1(args):app2(args)): runs one application in place. */
const ExecIf: Application = async (env, data) => {
  const parts = splitCondition(data);
  if (!parts) { env.warn("pbx.c", "ExecIf requires an argument: ExecIf(<expr>?<appiftrue>(<args>)[:<appiffalse>(<args>)])"); return CONTINUE; }
  const call = isTrueCondition(parts.condition) ? parts.ifTrue : parts.ifFalse;
  if (call.trim() === "") return CONTINUE;
  const open = call.indexOf("(");
  const name = (open < 0 ? call : call.slice(0, open)).trim();
  const args = open < 0 ? "" : call.slice(open + 1, call.lastIndexOf(")") > open ? call.lastIndexOf(")") : undefined);
  const app = env.deps.applications?.get(name.toLowerCase()) ?? findApplication(name);
  if (!app) { env.warn("pbx.c", `Could not find application! (${name})`); return END; }
  return app(env, args);
};

export const flowApplications: Readonly<Record<string, Application>> = { Goto, GotoIf, GotoIfTime, Gosub, GosubIf, Return, ExecIf };
