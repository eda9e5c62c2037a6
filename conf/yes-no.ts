/** Asterisk's ast_true / ast_false words, shared by every configuration reader. */
const TRUE = new Set(["yes", "true", "y", "t", "1", "on"]);
const FALSE = new Set(["no", "false", "n", "f", "0", "off"]);

/** true, false, or undefined for any other value (an empty one included): each reader says what that means. */
export function yesNo(value: string): boolean | undefined {
  const v = value.trim().toLowerCase();
  return TRUE.has(v) ? true : FALSE.has(v) ? false : undefined;
}
