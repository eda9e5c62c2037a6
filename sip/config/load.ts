/**
 * Load pjsip.conf, pjsip_wizard.conf and acl.conf from a config directory into a
 * PjsipModel. As in Asterisk:
 *
 * - a file that does not parse loads nothing (its error is reported); the others load;
 * - an object with a bad option fails to load, with an error naming file, line, object
 *   and reason; the other objects load;
 * - wizards are read from pjsip_wizard.conf only; a wizard section in pjsip.conf is
 *   reported (warning) and not expanded;
 * - a name may repeat across types (`[6001]` endpoint, aor and auth); the same type and
 *   name twice is an error and the first one is kept (Asterisk would drop the whole type).
 *
 * References to objects that do not exist (an endpoint's aors, auth, transport...) are
 * warnings: Asterisk only finds out when it uses them.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ConfError, type ConfFile, type ConfOptions, type ConfPosition, type ConfSection, parseConfFile, resolveTemplates } from "../../conf/tokenizer.js";
import { loadNamedAcls } from "./acl.js";
import { type SectionInput, buildFields, describe } from "./build.js";
import type {
  Aor, Auth, DomainAlias, Endpoint, Global, Identify, NamedAcl, OtherObject, PjsipAcl, PjsipDiagnostic,
  PjsipLoadResult, PjsipModel, Registration, StaticContact, System, Transport, WizardHint,
} from "./model.js";
import { type AclSpec, type ModelledType, OPTION_TABLES, UNMODELLED_TYPES, type UnmodelledType } from "./schema.js";
import { expandWizard } from "./wizard.js";

export const PJSIP_FILES = { pjsip: "pjsip.conf", wizard: "pjsip_wizard.conf", acl: "acl.conf" } as const;

/** Read the three files from `dir` (pjsip.conf must exist; the others may not) and build the model. */
export function loadPjsipConfig(dir: string, options: ConfOptions = {}): PjsipLoadResult {
  const errors: PjsipDiagnostic[] = [];
  const read = (name: string, required: boolean): ConfFile | undefined => {
    const path = join(dir, name);
    if (!required && !existsSync(path)) return undefined;
    try {
      return parseConfFile(path, options);
    } catch (err) {
      if (!(err instanceof ConfError)) throw err;
      errors.push({ file: err.file, line: err.line, reason: `${err.reason}; ${name} not loaded` });
      return undefined;
    }
  };
  const result = buildPjsipModel({
    pjsip: read(PJSIP_FILES.pjsip, true),
    wizard: read(PJSIP_FILES.wizard, false),
    acl: read(PJSIP_FILES.acl, false),
  });
  return { ...result, errors: [...errors, ...result.errors] };
}

export interface PjsipFiles {
  readonly pjsip?: ConfFile;
  readonly wizard?: ConfFile;
  readonly acl?: ConfFile;
}

/** Build the model from already parsed files (any may be missing). */
export function buildPjsipModel(files: PjsipFiles): PjsipLoadResult {
  const errors: PjsipDiagnostic[] = [];
  const warnings: PjsipDiagnostic[] = [];
  const inputs: SectionInput[] = [];
  const others: OtherObject[] = [];
  const hints: WizardHint[] = [];
  for (const file of [files.pjsip, files.wizard, files.acl]) if (file) warnings.push(...file.warnings);

  const resolved = (file: ConfFile | undefined): ConfSection[] => {
    if (!file) return [];
    try {
      return resolveTemplates(file);
    } catch (err) {
      if (!(err instanceof ConfError)) throw err;
      errors.push({ file: err.file, line: err.line, reason: `${err.reason}; file not loaded` });
      return [];
    }
  };

  for (const section of resolved(files.pjsip)) {
    const typed = typeOf(section, errors);
    if (!typed) continue;
    const { type, entries } = typed;
    if (type === "wizard") {
      warnings.push({ file: section.file, line: section.line, reason: `[${section.name}] is a wizard: wizards are read from pjsip_wizard.conf only; not expanded`, objectType: "wizard", objectName: section.name });
    } else if (type === "contact") {
      warnings.push({ file: section.file, line: section.line, reason: `[${section.name}] type = contact is not read from pjsip.conf; use an aor's contact= option`, objectType: "contact", objectName: section.name });
    } else if (Object.hasOwn(OPTION_TABLES, type)) {
      inputs.push({ type: type as ModelledType, name: section.name, file: section.file, line: section.line, entries });
    } else if ((UNMODELLED_TYPES as readonly string[]).includes(type)) {
      others.push({ type: type as UnmodelledType, name: section.name, source: position(section), entries });
    } else {
      const at = section.entries.findLast((e) => e.key.toLowerCase() === "type") ?? section;
      errors.push({ file: at.file, line: at.line, reason: `[${section.name}] has unknown type '${type}'`, objectType: type, objectName: section.name });
    }
  }

  for (const section of resolved(files.wizard)) {
    const typed = typeOf(section, errors);
    if (!typed) continue;
    if (typed.type !== "wizard") {
      warnings.push({ file: section.file, line: section.line, reason: `[${section.name}] has type '${typed.type}': pjsip_wizard.conf is read for wizards only; ignored`, objectType: typed.type, objectName: section.name });
      continue;
    }
    const expansion = expandWizard({ ...section, entries: typed.entries });
    errors.push(...expansion.errors);
    warnings.push(...expansion.warnings);
    hints.push(...expansion.hints);
    for (const obj of expansion.objects) {
      if (obj.type === "phoneprov") others.push({ type: "phoneprov", name: obj.name, source: position(obj), wizard: obj.wizard, entries: obj.entries });
      else inputs.push({ ...obj, type: obj.type });
    }
  }

  const acl = files.acl ? loadNamedAcls(files.acl) : { acls: new Map<string, NamedAcl>(), errors: [] };
  errors.push(...acl.errors);

  const model = assemble(inputs, others, hints, acl.acls, errors, warnings);
  checkReferences(model, warnings);
  return { model, errors, warnings };
}

function position(at: ConfPosition): ConfPosition {
  return { file: at.file, line: at.line };
}

function typeOf(section: ConfSection, errors: PjsipDiagnostic[]): { type: string; entries: ConfSection["entries"] } | undefined {
  const typeEntry = section.entries.findLast((e) => e.key.toLowerCase() === "type");
  if (!typeEntry || typeEntry.value === "") {
    errors.push({ file: section.file, line: section.line, reason: `[${section.name}] has no type`, objectName: section.name });
    return undefined;
  }
  return { type: typeEntry.value.toLowerCase(), entries: section.entries.filter((e) => e.key.toLowerCase() !== "type") };
}

type Maps = {
  transport: Map<string, Transport>; endpoint: Map<string, Endpoint>; aor: Map<string, Aor>; auth: Map<string, Auth>;
  registration: Map<string, Registration>; identify: Map<string, Identify>; domain_alias: Map<string, DomainAlias>;
  acl: Map<string, PjsipAcl>; global: Map<string, Global>; system: Map<string, System>;
};

function assemble(
  inputs: readonly SectionInput[], others: OtherObject[], hints: WizardHint[], namedAcls: Map<string, NamedAcl>,
  errors: PjsipDiagnostic[], warnings: PjsipDiagnostic[],
): PjsipModel {
  const maps: Maps = {
    transport: new Map(), endpoint: new Map(), aor: new Map(), auth: new Map(), registration: new Map(),
    identify: new Map(), domain_alias: new Map(), acl: new Map(), global: new Map(), system: new Map(),
  };
  const seen = new Map<string, SectionInput>();
  const binds = new Map<string, string>();
  for (const input of inputs) {
    const key = `${input.type}\0${input.name}`;
    const first = seen.get(key);
    if (first) {
      const what = input.wizard !== undefined && first.wizard === undefined ? "collides with" : "duplicates";
      errors.push({ file: input.file, line: input.line, reason: `${describe(input)} ${what} the ${input.type} defined at ${first.file}:${first.line}; not loaded`, objectType: input.type, objectName: input.name });
      continue;
    }
    seen.set(key, input);
    if ((input.type === "global" || input.type === "system") && maps[input.type].size > 0) {
      const kept = [...maps[input.type].values()][0];
      errors.push({ file: input.file, line: input.line, reason: `${describe(input)}: only one ${input.type} section is allowed ('${kept.name}' at ${kept.source.file}:${kept.source.line}); not loaded`, objectType: input.type, objectName: input.name });
      continue;
    }
    const result = buildFields(input);
    errors.push(...result.errors);
    warnings.push(...result.warnings);
    if (!result.fields) continue;
    const object = { type: input.type, name: input.name, source: position(input), ...(input.wizard !== undefined ? { wizard: input.wizard } : {}), ...result.fields };
    if (input.type === "transport") {
      const t = object as unknown as Transport;
      if (t.bind) {
        const bindKey = `${t.protocol} ${t.bind.host} ${t.bind.port}`;
        const other = binds.get(bindKey);
        if (other !== undefined) {
          errors.push({ file: input.file, line: input.line, reason: `${describe(input)}: ${t.protocol} ${t.bind.host}:${t.bind.port} is already bound by transport '${other}'; not loaded`, objectType: "transport", objectName: input.name });
          continue;
        }
        binds.set(bindKey, input.name);
      }
    }
    (maps[input.type] as Map<string, unknown>).set(input.name, object);
  }

  const contacts = new Map<string, StaticContact>();
  for (const aor of maps.aor.values()) {
    for (const uri of aor.contact) {
      const id = `${aor.name}@@${createHash("md5").update(uri).digest("hex")}`;
      if (!contacts.has(id)) contacts.set(id, { id, aor: aor.name, uri, source: aor.source });
    }
  }

  return {
    transports: maps.transport, endpoints: maps.endpoint, aors: maps.aor, auths: maps.auth,
    registrations: maps.registration, identifies: maps.identify, domainAliases: maps.domain_alias, acls: maps.acl,
    contacts,
    global: [...maps.global.values()][0] ?? defaults("global") as Global,
    system: [...maps.system.values()][0] ?? defaults("system") as System,
    namedAcls, hints, others,
  };
}

function defaults(type: "global" | "system"): unknown {
  return { type, name: type, source: { file: "", line: 0 }, ...buildFields({ type, name: type, file: "", line: 0, entries: [] }).fields };
}

/** Warnings for names that point nowhere; the objects still load. */
function checkReferences(model: PjsipModel, warnings: PjsipDiagnostic[]): void {
  const warn = (obj: { type: string; name: string; source: ConfPosition; wizard?: string }, option: string, kind: string, target: string) =>
    warnings.push({ file: obj.source.file, line: obj.source.line, reason: `${describe(obj)}: ${option} names ${kind} '${target}', which is not defined`, objectType: obj.type, objectName: obj.name });
  const each = (obj: Parameters<typeof warn>[0], option: string, kind: string, names: readonly string[], known: ReadonlyMap<string, unknown>) => {
    for (const n of names) if (!known.has(n)) warn(obj, option, kind, n);
  };
  const aclNames = (obj: Parameters<typeof warn>[0], spec: AclSpec, option: string) =>
    each(obj, option, "named ACL", spec.named, model.namedAcls);

  for (const e of model.endpoints.values()) {
    each(e, "aors", "aor", e.aors, model.aors);
    each(e, "auth", "auth", e.auth, model.auths);
    each(e, "outbound_auth", "auth", e.outbound_auth, model.auths);
    if (e.transport !== "") each(e, "transport", "transport", [e.transport], model.transports);
    aclNames(e, e.acl, "acl");
    aclNames(e, e.contact_acl, "contact_acl");
  }
  for (const r of model.registrations.values()) {
    each(r, "outbound_auth", "auth", r.outbound_auth, model.auths);
    if (r.transport !== "") each(r, "transport", "transport", [r.transport], model.transports);
    if (r.endpoint !== "") each(r, "endpoint", "endpoint", [r.endpoint], model.endpoints);
  }
  for (const i of model.identifies.values()) each(i, "endpoint", "endpoint", [i.endpoint], model.endpoints);
  for (const a of model.acls.values()) {
    aclNames(a, a.acl, "acl");
    aclNames(a, a.contact_acl, "contact_acl");
  }
}
