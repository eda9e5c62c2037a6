/**
 * One formatter per object type, laid out like res_pjsip's CLI formatters: a header
 * row with dotted placeholders, a body row per object, and (when recursing) the rows
 * of the objects it refers to, one nesting level deeper. `pjsip show <type> <name>`
 * adds the object's option table below its rows.
 */
import type { Aor, Auth, Endpoint, Identify, PjsipModel, Registration, Transport } from "../config/model.js";
import {
  aorParameters, authParameters, contactParameters, endpointParameters, identifyParameters, matchAddress, matchPrefix,
  registrationParameters, transportAddress, transportParameters, transportTos,
} from "./parameters.js";
import { CLI_LAST_TABSTOP, CLI_MAX_WIDTH, byId, dots, fit, indentWidth, padLeft, padRight, parameterTable, title, type Parameter } from "./text.js";
import { contactHash, contactMd5, type ChannelView, type ContactView, type PjsipView } from "./view.js";

/** The state of one listing, like Asterisk's ast_sip_cli_context. */
export interface Listing {
  readonly view: PjsipView;
  readonly model: PjsipModel;
  /** Nesting of the rows being written (0 = the listed objects). */
  level: number;
  /** Write the objects each object refers to (`show`), or only its own row (`list`). */
  readonly recurse: boolean;
  /** Append the option table of the object at level 0 (`show <type> <name>`). */
  readonly details: boolean;
  /** "In"/"Out" while an endpoint lists its auths. */
  authDirection: string;
  out: string;
}

export interface Formatter<T> {
  header(ctx: Listing): void;
  body(obj: T, ctx: Listing): void;
  /** Every object, in Asterisk's order (by id). */
  all(ctx: Listing): T[];
  id(obj: T): string;
  find(ctx: Listing, id: string): T | undefined;
}

function nested(ctx: Listing, write: () => void): void {
  ctx.level++;
  try { write(); } finally { ctx.level--; }
}

function details(ctx: Listing, params: () => Parameter[]): void {
  if (ctx.details && ctx.level === 0) ctx.out += `\n${parameterTable(params())}`;
}

/** After an object's nested rows, a blank line separates top-level objects. */
function endOfNested(ctx: Listing): void {
  if (ctx.level === 0) ctx.out += "\n";
}

const sortedValues = <T extends { name: string }>(map: ReadonlyMap<string, T>) => [...map.values()].sort((a, b) => byId(a.name, b.name));

// ---------------------------------------------------------------------------------------
// Contacts

/** A contact as listed: `aor/uri` is its id in `pjsip show contact <id>`. */
export const contactListId = (c: ContactView) => `${c.aor}/${c.uri}`;

/** The contacts of an aor in Asterisk's order: registered ones, then static ones, each by hash. */
function contactsOfAor(ctx: Listing, aor: string): ContactView[] {
  const byHash = (a: ContactView, b: ContactView) => byId(contactMd5(a.uri), contactMd5(b.uri));
  const mine = ctx.view.contacts().filter((c) => c.aor === aor);
  return [...mine.filter((c) => !c.static).sort(byHash), ...mine.filter((c) => c.static).sort(byHash)];
}

function rtt(c: ContactView): string {
  return c.status === "Avail" && c.rttMs !== undefined ? c.rttMs.toFixed(3) : "nan";
}

export const contactFormatter: Formatter<ContactView> = {
  header(ctx) {
    const indent = indentWidth(ctx.level);
    ctx.out += `${title(ctx.level, "Contact")}  <Aor/ContactUri${dots(CLI_LAST_TABSTOP - indent - 23)}> <Hash....> <Status> <RTT(ms)..>\n`;
  },
  body(c, ctx) {
    const flex = CLI_LAST_TABSTOP - indentWidth(ctx.level) - 9 - Buffer.byteLength(c.aor) + 1;
    ctx.out += `${title(ctx.level, "Contact")}  ${c.aor}/${fit(c.uri, flex)} ${fit(contactHash(c.uri), 10)} ${fit(c.status, 7)} ${padLeft(rtt(c), 11)}\n`;
    details(ctx, () => contactParameters(c, ctx.model));
  },
  all(ctx) {
    const unique = new Map(ctx.view.contacts().map((c) => [contactListId(c), c]));
    return [...unique.values()].sort((a, b) => byId(contactListId(a), contactListId(b)));
  },
  id: contactListId,
  find(ctx, id) {
    return this.all(ctx).find((c) => contactListId(c) === id);
  },
};

// ---------------------------------------------------------------------------------------
// AORs

export const aorFormatter: Formatter<Aor> = {
  header(ctx) {
    const indent = indentWidth(ctx.level);
    ctx.out += `${title(ctx.level, "Aor")}  <Aor${dots(CLI_LAST_TABSTOP - indent - 7)}>  <MaxContact>\n`;
    if (ctx.recurse) nested(ctx, () => contactFormatter.header(ctx));
  },
  body(aor, ctx) {
    const flex = CLI_LAST_TABSTOP - indentWidth(ctx.level) - 12;
    ctx.out += `${title(ctx.level, "Aor")}  ${fit(aor.name, flex)} ${padLeft(String(aor.max_contacts), 12)}\n`;
    if (ctx.recurse) {
      nested(ctx, () => { for (const c of contactsOfAor(ctx, aor.name)) contactFormatter.body(c, ctx); });
      endOfNested(ctx);
    }
    details(ctx, () => aorParameters(aor, contactsOfAor(ctx, aor.name)));
  },
  all: (ctx) => sortedValues(ctx.model.aors),
  id: (aor) => aor.name,
  find: (ctx, id) => ctx.model.aors.get(id),
};

// ---------------------------------------------------------------------------------------
// Auths

export const authFormatter: Formatter<Auth> = {
  header(ctx) {
    const indent = indentWidth(ctx.level);
    ctx.out += `${title(ctx.level, "I/OAuth")}  <AuthId/UserName${dots(CLI_MAX_WIDTH - indent - 20)}>\n`;
  },
  body(auth, ctx) {
    ctx.out += `${title(ctx.level, `${ctx.authDirection}Auth`)}  ${auth.name}/${auth.username}\n`;
    details(ctx, () => authParameters(auth, ctx.model.global));
  },
  all: (ctx) => sortedValues(ctx.model.auths),
  id: (auth) => auth.name,
  find: (ctx, id) => ctx.model.auths.get(id),
};

// ---------------------------------------------------------------------------------------
// Transports

export const transportFormatter: Formatter<Transport> = {
  header(ctx) {
    const indent = indentWidth(ctx.level);
    ctx.out += `${title(ctx.level, "Transport")}  <TransportId........>  <Type>  <cos>  <tos>  <BindAddress${dots(CLI_MAX_WIDTH - indent - 61)}>\n`;
  },
  body(t, ctx) {
    ctx.out += `${title(ctx.level, "Transport")}  ${padRight(t.name, 21)}  ${padLeft(t.protocol, 6)}  ${padLeft(String(t.cos), 5)}  ${padLeft(String(transportTos(t)), 5)}  ${transportAddress(t)}\n`;
    details(ctx, () => transportParameters(t));
  },
  all: (ctx) => sortedValues(ctx.model.transports),
  id: (t) => t.name,
  find: (ctx, id) => ctx.model.transports.get(id),
};

// ---------------------------------------------------------------------------------------
// Identifies

export const identifyFormatter: Formatter<Identify> = {
  header(ctx) {
    const indent = indentWidth(ctx.level);
    ctx.out += `${title(ctx.level, "Identify")}  <Identify/Endpoint${dots(CLI_MAX_WIDTH - indent - 22)}>\n`;
    if (ctx.recurse) {
      nested(ctx, () => {
        ctx.out += `${title(ctx.level, "Match")}  <criteria${dots(CLI_LAST_TABSTOP - indentWidth(ctx.level) - 24)}>\n`;
      });
    }
  },
  body(ident, ctx) {
    ctx.out += `${title(ctx.level, "Identify")}  ${ident.name}/${ident.endpoint}\n`;
    if (ctx.recurse) {
      nested(ctx, () => {
        for (const m of ident.match) ctx.out += `${title(ctx.level, "Match")} ${matchAddress(m)}/${matchPrefix(m)}\n`;
        if (ident.match_header) ctx.out += `${title(ctx.level, "Header")} ${ident.match_header}\n`;
        if (ident.match_request_uri) ctx.out += `${title(ctx.level, "RequestURI")} ${ident.match_request_uri}\n`;
      });
      endOfNested(ctx);
    }
    details(ctx, () => identifyParameters(ident));
  },
  all: (ctx) => sortedValues(ctx.model.identifies),
  id: (ident) => ident.name,
  find: (ctx, id) => ctx.model.identifies.get(id),
};

// ---------------------------------------------------------------------------------------
// Channels (only under an endpoint)

/** ast_format_duration_hh_mm_ss. */
function hhmmss(seconds: number): string {
  const two = (n: number) => String(n).padStart(2, "0");
  return `${two(Math.floor(seconds / 3600))}:${two(Math.floor((seconds % 3600) / 60))}:${two(seconds % 60)}`;
}

const channelRows = {
  header(ctx: Listing) {
    ctx.out += `${title(ctx.level, "Channel")}  <ChannelId${dots(CLI_LAST_TABSTOP - indentWidth(ctx.level) - 13)}>  <State.....>  <Time.....>\n`;
    if (ctx.recurse) {
      nested(ctx, () => {
        ctx.out += `${title(ctx.level, "Exten")} <DialedExten${dots(CLI_LAST_TABSTOP - indentWidth(ctx.level) - 38)}>  CLCID: <ConnectedLineCID.......>\n`;
      });
    }
  },
  body(ch: ChannelView, ctx: Listing) {
    const age = Math.max(0, Math.floor(ctx.view.now() / 1e6) - Math.floor(ch.createdAt / 1e6));
    const flex = CLI_LAST_TABSTOP - indentWidth(ctx.level);
    ctx.out += `${title(ctx.level, "Channel")} ${fit(`${ch.name}/${ch.application}`, flex)} ${fit(ch.state, 12)}  ${fit(hhmmss(age), 11)}\n`;
    if (ctx.recurse) {
      nested(ctx, () => {
        const width = CLI_LAST_TABSTOP - indentWidth(ctx.level) - 25;
        ctx.out += `${title(ctx.level, "Exten")} ${fit(ch.exten, width)}  CLCID: "${ch.connectedName}" <${ch.connectedNumber}>\n`;
      });
      endOfNested(ctx);
    }
  },
};

// ---------------------------------------------------------------------------------------
// Endpoints

export const endpointFormatter: Formatter<Endpoint> = {
  header(ctx) {
    ctx.out += " Endpoint:  <Endpoint/CID.....................................>  <State.....>  <Channels.>\n";
    if (ctx.recurse) {
      nested(ctx, () => {
        authFormatter.header(ctx);
        aorFormatter.header(ctx);
        transportFormatter.header(ctx);
        identifyFormatter.header(ctx);
        channelRows.header(ctx);
      });
    }
  },
  body(ep, ctx) {
    const { model } = ctx;
    const state = ctx.view.endpointState(ep.name);
    const number = ep.callerid?.number;
    const name = number ? `${ep.name}/${number}` : ep.name;
    const flex = CLI_LAST_TABSTOP - indentWidth(ctx.level) - 2;
    const limit = ep.device_state_busy_at ? String(ep.device_state_busy_at) : "inf";
    ctx.out += `${title(ctx.level, "Endpoint")}  ${fit(name, flex)}  ${fit(state.state, 12)}  ${state.channels.length} of ${limit}\n`;
    if (ctx.recurse) {
      nested(ctx, () => {
        const existing = <T>(names: readonly string[], map: ReadonlyMap<string, T>) =>
          names.map((n) => map.get(n)).filter((x): x is T => x !== undefined);
        ctx.authDirection = "Out";
        for (const auth of existing(ep.outbound_auth, model.auths)) authFormatter.body(auth, ctx);
        ctx.authDirection = "In";
        for (const auth of existing(ep.auth, model.auths)) authFormatter.body(auth, ctx);
        for (const aor of existing(ep.aors, model.aors)) aorFormatter.body(aor, ctx);
        const transport = model.transports.get(ep.transport);
        if (transport) transportFormatter.body(transport, ctx);
        for (const ident of identifyFormatter.all(ctx)) if (ident.endpoint === ep.name) identifyFormatter.body(ident, ctx);
        for (const ch of state.channels) channelRows.body(ch, ctx);
      });
      endOfNested(ctx);
    }
    details(ctx, () => endpointParameters(ep));
  },
  all: (ctx) => sortedValues(ctx.model.endpoints),
  id: (ep) => ep.name,
  find: (ctx, id) => ctx.model.endpoints.get(id),
};

// ---------------------------------------------------------------------------------------
// Outbound registrations

/** The server URI column: the name, a slash and the URI fill 53 bytes together. */
const REGISTRATION_URI_FIELD_LEN = 53;

export const registrationFormatter: Formatter<Registration> = {
  header(ctx) {
    ctx.out += " <Registration/ServerURI..............................>  <Auth....................>  <Status.......>\n";
  },
  body(reg, ctx) {
    const state = ctx.view.registrations().find((r) => r.name === reg.name);
    // Without runtime state (not started) only the word is printed, as seed 003 shows it.
    let status = "Unregistered";
    if (state) {
      const secs = Math.floor((state.nextRegAt ?? 0) / 1e6) - Math.floor(ctx.view.now() / 1e6);
      status = `${padRight(state.status, 16)}  (exp. ${Math.abs(secs)}${secs < 0 ? "s ago)" : "s)"}`;
    }
    const uriWidth = REGISTRATION_URI_FIELD_LEN - Buffer.byteLength(reg.name);
    ctx.out += ` ${reg.name}/${fit(reg.server_uri, uriWidth)}  ${padRight(reg.outbound_auth[0] ?? "n/a", 26)}  ${status}\n`;
    details(ctx, () => registrationParameters(reg));
  },
  all: (ctx) => sortedValues(ctx.model.registrations),
  id: (reg) => reg.name,
  find: (ctx, id) => ctx.model.registrations.get(id),
};
