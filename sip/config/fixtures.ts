/** Shared by the sip/config tests: build a model from inline file texts. */
import { parseConfText } from "../../conf/tokenizer.js";
import { buildPjsipModel } from "./load.js";
import type { PjsipLoadResult } from "./model.js";

export function loadTexts(texts: { pjsip?: string; wizard?: string; acl?: string }): PjsipLoadResult {
  return buildPjsipModel({
    pjsip: texts.pjsip === undefined ? undefined : parseConfText(texts.pjsip, "pjsip.conf"),
    wizard: texts.wizard === undefined ? undefined : parseConfText(texts.wizard, "pjsip_wizard.conf"),
    acl: texts.acl === undefined ? undefined : parseConfText(texts.acl, "acl.conf"),
  });
}

/** "file:line: reason" for each diagnostic, the way they are printed. */
export function lines(diags: readonly { file: string; line: number; reason: string }[]): string[] {
  return diags.map((d) => `${d.file}:${d.line}: ${d.reason}`);
}
