/**
 * Named ACLs (acl.conf) and ACL evaluation. An ACL is a list of permit/deny rules read in
 * order, starting from "permit": the last rule whose network holds the address decides.
 * An object's ACL (its own rules plus each named ACL it lists) passes only if every one
 * of those lists passes; a named ACL that does not exist denies.
 */
import { type ConfFile, resolveTemplates } from "../../conf/tokenizer.js";
import type { NamedAcl, PjsipDiagnostic } from "./model.js";
import { networkContains, parseNetwork } from "./network.js";
import type { AclRule, AclSpec } from "./schema.js";
import { ValueError, splitList } from "./values.js";

export function loadNamedAcls(file: ConfFile): { acls: Map<string, NamedAcl>; errors: PjsipDiagnostic[] } {
  const acls = new Map<string, NamedAcl>();
  const errors: PjsipDiagnostic[] = [];
  for (const section of resolveTemplates(file)) {
    const rules: AclRule[] = [];
    const problems: PjsipDiagnostic[] = [];
    const diag = (pos: { file: string; line: number }, reason: string): PjsipDiagnostic =>
      ({ file: pos.file, line: pos.line, reason: `named ACL '${section.name}': ${reason}`, objectType: "named_acl", objectName: section.name });
    for (const e of section.entries) {
      const sense = e.key.toLowerCase();
      if (sense !== "permit" && sense !== "deny") {
        problems.push(diag(e, `unknown option '${e.key}' (only permit and deny)`));
        continue;
      }
      try {
        for (const item of splitList(e.value)) rules.push({ sense, network: parseNetwork(item) });
      } catch (err) {
        if (!(err instanceof ValueError)) throw err;
        problems.push(diag(e, `bad ${e.key} '${e.value}': ${err.message}`));
      }
    }
    if (acls.has(section.name)) problems.push(diag(section, "defined twice; the first definition is kept"));
    if (problems.length > 0) errors.push(...problems);
    else acls.set(section.name, { name: section.name, source: { file: section.file, line: section.line }, rules });
  }
  return { acls, errors };
}

/** One rule list: permitted unless the last rule matching `ip` is a deny. */
export function rulesAllow(rules: readonly AclRule[], ip: string): boolean {
  let allowed = true;
  for (const rule of rules) if (networkContains(rule.network, ip)) allowed = rule.sense === "permit";
  return allowed;
}

/** An object's ACL: its own rules and every named ACL must all allow `ip`. */
export function aclAllows(spec: AclSpec, namedAcls: ReadonlyMap<string, NamedAcl>, ip: string): boolean {
  if (!rulesAllow(spec.rules, ip)) return false;
  return spec.named.every((name) => {
    const acl = namedAcls.get(name);
    return acl !== undefined && rulesAllow(acl.rules, ip);
  });
}
