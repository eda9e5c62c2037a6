/**
 * The pjsip.conf object model: one typed, immutable object per configured transport,
 * endpoint, aor, auth, registration, identify, domain alias and ACL, the global and
 * system settings, the static contacts aors declare, named ACLs from acl.conf and the
 * hints wizards ask for. A reload builds a new model and diffs it with the old one.
 */
import type { ConfDiagnostic, ConfEntry, ConfPosition } from "../../conf/tokenizer.js";
import type { AclRule, UnmodelledType } from "./schema.js";
import {
  ACL_OPTIONS, AOR_OPTIONS, AUTH_OPTIONS, DOMAIN_ALIAS_OPTIONS, ENDPOINT_OPTIONS, GLOBAL_OPTIONS, IDENTIFY_OPTIONS,
  REGISTRATION_OPTIONS, SYSTEM_OPTIONS, TRANSPORT_OPTIONS,
} from "./schema.js";
import type { Fields } from "./values.js";

interface ObjectBase<T extends string> {
  readonly type: T;
  readonly name: string;
  /** Where the section starts (for wizard-made objects: the wizard's section). */
  readonly source: ConfPosition;
  /** The wizard (in pjsip_wizard.conf) that made this object, as Asterisk's `@pjsip_wizard`. */
  readonly wizard?: string;
}

export type Endpoint = ObjectBase<"endpoint"> & Fields<typeof ENDPOINT_OPTIONS>;
export type Aor = ObjectBase<"aor"> & Fields<typeof AOR_OPTIONS>;
export type Auth = ObjectBase<"auth"> & Fields<typeof AUTH_OPTIONS>;
/** `bind` always has its port: the one written, or 5060 (5061 for tls/wss). */
export type Transport = ObjectBase<"transport"> & Omit<Fields<typeof TRANSPORT_OPTIONS>, "bind"> & {
  readonly bind: { readonly host: string; readonly port: number } | undefined;
};
export type Registration = ObjectBase<"registration"> & Fields<typeof REGISTRATION_OPTIONS>;
export type Identify = ObjectBase<"identify"> & Fields<typeof IDENTIFY_OPTIONS>;
export type DomainAlias = ObjectBase<"domain_alias"> & Fields<typeof DOMAIN_ALIAS_OPTIONS>;
export type PjsipAcl = ObjectBase<"acl"> & Fields<typeof ACL_OPTIONS>;
export type Global = ObjectBase<"global"> & Fields<typeof GLOBAL_OPTIONS>;
export type System = ObjectBase<"system"> & Fields<typeof SYSTEM_OPTIONS>;

/** A section of a type other modules own (phoneprov, resource_list...), kept as written. */
export interface OtherObject extends ObjectBase<UnmodelledType> {
  readonly entries: readonly ConfEntry[];
}

/** A permanent contact from an aor's `contact=`; its id is Asterisk's `<aor>@@<md5(uri)>`. */
export interface StaticContact {
  readonly id: string;
  readonly aor: string;
  readonly uri: string;
  readonly source: ConfPosition;
}

/** A named ACL from acl.conf: its permit/deny rules in order. */
export interface NamedAcl {
  readonly name: string;
  readonly source: ConfPosition;
  readonly rules: readonly AclRule[];
}

/** A dialplan hint a wizard with `has_hint = yes` adds: `exten => hint,PJSIP/<wizard>` and priority 1. */
export interface WizardHint {
  readonly wizard: string;
  readonly context: string;
  readonly exten: string;
  readonly device: string;
  /** What priority 1 runs (`hint_application`), or "" for none. */
  readonly application: string;
  /** The `hint_exten` line. */
  readonly source: ConfPosition;
}

export interface PjsipModel {
  readonly transports: ReadonlyMap<string, Transport>;
  readonly endpoints: ReadonlyMap<string, Endpoint>;
  readonly aors: ReadonlyMap<string, Aor>;
  readonly auths: ReadonlyMap<string, Auth>;
  readonly registrations: ReadonlyMap<string, Registration>;
  readonly identifies: ReadonlyMap<string, Identify>;
  readonly domainAliases: ReadonlyMap<string, DomainAlias>;
  readonly acls: ReadonlyMap<string, PjsipAcl>;
  /** Static contacts by id, in aor order. */
  readonly contacts: ReadonlyMap<string, StaticContact>;
  readonly global: Global;
  readonly system: System;
  readonly namedAcls: ReadonlyMap<string, NamedAcl>;
  readonly hints: readonly WizardHint[];
  readonly others: readonly OtherObject[];
}

export type PjsipObject = Transport | Endpoint | Aor | Auth | Registration | Identify | DomainAlias | PjsipAcl | Global | System;

/** A config problem with, where it concerns one object, that object's type and name. */
export interface PjsipDiagnostic extends ConfDiagnostic {
  readonly objectType?: string;
  readonly objectName?: string;
}

export interface PjsipLoadResult {
  readonly model: PjsipModel;
  /** Objects that failed to load (each skipped; the others load), and files that could not be read. */
  readonly errors: readonly PjsipDiagnostic[];
  readonly warnings: readonly PjsipDiagnostic[];
}

/** The static contacts of one aor, in the order its `contact=` lines give them. */
export function contactsOfAor(model: PjsipModel, aor: string): StaticContact[] {
  return [...model.contacts.values()].filter((c) => c.aor === aor);
}

export type ModelCollection = "transports" | "endpoints" | "aors" | "auths" | "registrations" | "identifies" | "domainAliases" | "acls" | "contacts" | "namedAcls";
const COLLECTIONS: readonly ModelCollection[] = [
  "transports", "endpoints", "aors", "auths", "registrations", "identifies", "domainAliases", "acls", "contacts", "namedAcls",
];

export interface CollectionDiff {
  readonly added: readonly string[];
  readonly removed: readonly string[];
  /** Present in both with a different value (a move to another line is not a change). */
  readonly changed: readonly string[];
}

export interface PjsipModelDiff {
  readonly collections: Readonly<Record<ModelCollection, CollectionDiff>>;
  readonly globalChanged: boolean;
  readonly systemChanged: boolean;
  readonly hintsChanged: boolean;
  /** Sections of unmodelled types (phoneprov, resource_list...) differ. */
  readonly othersChanged: boolean;
  /** True when nothing differs. */
  readonly empty: boolean;
}

/** What a reload changes: per collection the names added, removed and changed. */
export function diffPjsipModels(before: PjsipModel, after: PjsipModel): PjsipModelDiff {
  const collections = {} as Record<ModelCollection, CollectionDiff>;
  let empty = true;
  for (const key of COLLECTIONS) {
    const a = before[key] as ReadonlyMap<string, object>;
    const b = after[key] as ReadonlyMap<string, object>;
    const diff: CollectionDiff = {
      added: [...b.keys()].filter((n) => !a.has(n)),
      removed: [...a.keys()].filter((n) => !b.has(n)),
      changed: [...b.keys()].filter((n) => a.has(n) && !sameValue(a.get(n), b.get(n))),
    };
    if (diff.added.length + diff.removed.length + diff.changed.length > 0) empty = false;
    collections[key] = diff;
  }
  const globalChanged = !sameValue(before.global, after.global);
  const systemChanged = !sameValue(before.system, after.system);
  const hintsChanged = !sameValue(before.hints, after.hints);
  const othersChanged = !sameValue(before.others, after.others);
  return {
    collections, globalChanged, systemChanged, hintsChanged, othersChanged,
    empty: empty && !globalChanged && !systemChanged && !hintsChanged && !othersChanged,
  };
}

/** Deep equality of plain config values, ignoring where they were written (`source`, entry positions). */
export function sameValue(a: unknown, b: unknown): boolean {
  return comparable(a) === comparable(b);
}

function comparable(value: unknown): string {
  return JSON.stringify(value, function (this: unknown, key, v) {
    if (key === "source") return undefined;
    // Kept entries (OtherObject.entries) carry file and line: compare their key, op and value only.
    if ((key === "file" || key === "line") && typeof this === "object" && this !== null && "op" in this) return undefined;
    return v;
  });
}
