/**
 * The pure core of the dialplan, as the channel and application runtime uses it:
 * load extensions.conf, find the priority to run, substitute its data, evaluate
 * conditions, manage variables. Nothing here does I/O (except loadDialplan reading
 * the file) or reads the clock.
 */
export { DialplanError, buildDialplan, loadDialplan, parseDialplan } from "./parser.js";
export type { DialplanDiagnostic, DialplanLoad, DialplanLoadOptions } from "./parser.js";
export { DEFAULT_GENERAL, HINT } from "./model.js";
export type { Context, Dialplan, Extension, GeneralOptions, IgnorePattern, Include, Priority, SourcePosition, Switch } from "./model.js";
export {
  MAX_INCLUDE_DEPTH, canMatchExtension, extensionExists, findExtension, findHint, findLabel, isIgnoredPattern, matchMoreExtension,
} from "./lookup.js";
export type { FindOptions, FindResult, NotFoundReason } from "./lookup.js";
export { listHints, showDialplan } from "./show.js";
export type { HintEntry, ShowResult } from "./show.js";
export {
  compareExtensions, extensionCanMatch, extensionMatches, extensionMatchesMore, isPattern, matchCallerId, matchExtension,
} from "./pattern.js";
export type { MatchMode, MatchResult } from "./pattern.js";
export { substitute, substring } from "./substitute.js";
export type { SubstitutionContext, SubstitutionResult } from "./substitute.js";
export { evaluateExpression, isTrueCondition } from "./expression.js";
export type { ExpressionOptions, ExpressionResult } from "./expression.js";
export { coreFunctions, splitArguments, splitFunctionCall, withCoreFunctions } from "./functions.js";
export type { FunctionReader } from "./functions.js";
export {
  bareName, getVariable, inheritVariables, inheritanceOf, lookupVariable, parseAssignment, setVariable, variablesFrom,
} from "./variables.js";
export type { Inheritance, Variable, VariableList, VariableScope } from "./variables.js";
export { localTimeAt, parseTiming, timingHoldsAt, timingMatches } from "./timing.js";
export type { LocalTime, Timing } from "./timing.js";
export { inheritedVariables } from "./variables.js";
export {
  AbsoluteTimeout, evaluateForInterface, globalsFromDialplan, parseLoopback, runApplication, runDialplan, runSubroutine, setForInterface,
} from "./executor.js";
export type { Application, DialplanDeps, ExecutionEnv, ExceptionInfo, FoundPriority, Globals, OutsideWorld, Position } from "./executor.js";
export { MemoryAstDb, splitDbPath } from "./astdb.js";
export type { AstDb } from "./astdb.js";
export {
  Cause, CauseAlias, causeName, causeText, dialFailureKind, dialStatusFromCause, dialStatusFromCauses, parseCause,
} from "../calls/hangup-causes.js";
export type { DialStatus } from "../calls/hangup-causes.js";
export { applicationNames, findApplication } from "./apps/index.js";
export type { AppResult } from "./apps/index.js";
export { calleeGosubAction, calleeGosubTarget, parseDial, predialGosubTarget } from "./apps/dial.js";
export type { CalleeGosubAction } from "./apps/dial.js";
export { functionNames, parseCallerId } from "./channel-functions.js";
export { alphaFiles, digitFiles, numberFiles } from "./say.js";
