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
export { showDialplan } from "./show.js";
export type { ShowResult } from "./show.js";
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
