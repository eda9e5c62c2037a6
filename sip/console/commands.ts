/**
 * The `pjsip show ...` and `pjsip list ...` console commands, printed like Asterisk's
 * ast_sip_cli_traverse_objects: a blank line, the header rows, a line of `=`, a blank
 * line, then every object (`Objects found: N` after a listing) and a closing blank line.
 */
import type { CommandTable } from "../../core/commands.js";
import {
  aorFormatter, authFormatter, contactFormatter, endpointFormatter, identifyFormatter, registrationFormatter,
  transportFormatter, type Formatter, type Listing,
} from "./formatters.js";
import { SEPARATOR } from "./text.js";
import type { PjsipView } from "./view.js";

interface ObjectKind {
  readonly singular: string;
  readonly plural: string;
  /** As Asterisk's command summaries spell the type. */
  readonly label: string;
  readonly labelPlural: string;
  readonly formatter: Formatter<any>; // each kind formats its own object type
}

const KINDS: readonly ObjectKind[] = [
  { singular: "endpoint", plural: "endpoints", label: "Endpoint", labelPlural: "Endpoints", formatter: endpointFormatter },
  { singular: "aor", plural: "aors", label: "Aor", labelPlural: "Aors", formatter: aorFormatter },
  { singular: "auth", plural: "auths", label: "Auth", labelPlural: "Auths", formatter: authFormatter },
  { singular: "contact", plural: "contacts", label: "Contact", labelPlural: "Contacts", formatter: contactFormatter },
  { singular: "transport", plural: "transports", label: "Transport", labelPlural: "Transports", formatter: transportFormatter },
  { singular: "identify", plural: "identifies", label: "Identify", labelPlural: "Identifies", formatter: identifyFormatter },
  { singular: "registration", plural: "registrations", label: "Registration", labelPlural: "Registrations", formatter: registrationFormatter },
];

type Mode = "show-one" | "show-all" | "list-all";

/** The output of one command: `args` are the words after the command (a name, or `like <regex>`). */
export function traverse(view: PjsipView, kind: ObjectKind, mode: Mode, args: readonly string[]): string {
  const container = mode !== "show-one";
  const ctx: Listing = {
    view, model: view.model(), level: 0, authDirection: "", out: "",
    recurse: mode !== "list-all", details: mode === "show-one",
  };
  let filter: RegExp | undefined;
  if (container && args[0] === "like") {
    if (!args[1]) return usage(kind, mode);
    try {
      filter = new RegExp(args[1]);
    } catch {
      return `No container returned for object type ${kind.singular}.\n`;
    }
  }
  const { formatter } = kind;
  ctx.out += "\n";
  formatter.header(ctx);
  ctx.out += `${SEPARATOR}\n\n`;
  if (container) {
    const objects = formatter.all(ctx).filter((o) => !filter || filter.test(formatter.id(o)));
    if (!objects.length) return "No objects found.\n\n";
    for (const o of objects) formatter.body(o, ctx);
    ctx.out += `\nObjects found: ${objects.length}\n`;
  } else {
    const id = args[0];
    if (!id) return "No object specified.\n";
    const found = formatter.find(ctx, id);
    if (found === undefined) return `Unable to find object ${id}.\n\n`;
    formatter.body(found, ctx);
  }
  return `${ctx.out}\n`;
}

function usage(kind: ObjectKind, mode: Mode): string {
  const verb = mode === "list-all" ? "list" : "show";
  return `Usage: pjsip ${verb} ${kind.plural} [ like <pattern> ]\n`
    + `       ${verb === "list" ? "List" : "Show"} the configured PJSIP ${kind.labelPlural}\n`
    + "       Optional regular expression pattern is used to filter the list.\n";
}

/** Registers `pjsip show <types>`, `pjsip show <type> <name>` and `pjsip list <types>` for every object type. */
export function registerPjsipCommands(table: CommandTable, view: PjsipView): void {
  for (const kind of KINDS) {
    table.register(`pjsip list ${kind.plural}`, `List PJSIP ${kind.labelPlural}`, (args) => traverse(view, kind, "list-all", args));
    table.register(`pjsip show ${kind.plural}`, `Show PJSIP ${kind.labelPlural}`, (args) => traverse(view, kind, "show-all", args));
    table.register(`pjsip show ${kind.singular}`, `Show PJSIP ${kind.label}`, (args) => traverse(view, kind, "show-one", args));
  }
}
