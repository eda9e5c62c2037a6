/**
 * voicemail.conf's mailboxes, as far as VMAuthenticate needs them: each section but
 * `[general]` and `[zonemessages]` is a voicemail context, each `mailbox =>
 * password,full name,email,pager,options` line a mailbox. A line without a password
 * is a warning naming file and line, and the mailbox is skipped.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { parseConfFile, type ConfDiagnostic } from "../conf/tokenizer.js";

export interface Mailbox {
  readonly context: string;
  readonly mailbox: string;
  readonly password: string;
  readonly fullname: string;
  readonly email: string;
}

export interface VoicemailConf {
  /** `mailbox@context` → mailbox. */
  readonly mailboxes: ReadonlyMap<string, Mailbox>;
  readonly warnings: readonly ConfDiagnostic[];
}

export const NO_VOICEMAIL: VoicemailConf = { mailboxes: new Map(), warnings: [] };

export function loadVoicemailConf(configDir: string): VoicemailConf {
  const path = join(configDir, "voicemail.conf");
  if (!existsSync(path)) return NO_VOICEMAIL;
  const file = parseConfFile(path);
  const warnings: ConfDiagnostic[] = [...file.warnings];
  const mailboxes = new Map<string, Mailbox>();
  for (const section of file.sections) {
    if (section.name === "general" || section.name === "zonemessages") continue;
    for (const e of section.entries) {
      const [password = "", fullname = "", email = ""] = e.value.split(",").map((p) => p.trim());
      if (!/^\d+$/.test(e.key) && !/^[\w.-]+$/.test(e.key)) { warnings.push({ file: e.file, line: e.line, reason: `[${section.name}] '${e.key}' is not a mailbox number` }); continue; }
      if (password === "") { warnings.push({ file: e.file, line: e.line, reason: `[${section.name}] mailbox ${e.key} has no password` }); continue; }
      mailboxes.set(`${e.key}@${section.name}`, { context: section.name, mailbox: e.key, password: password.replace(/^-/, ""), fullname, email });
    }
  }
  return { mailboxes, warnings };
}
