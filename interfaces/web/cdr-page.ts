/** The /cdr page (seed 003, "CDR 查询页面设计"): filters, one page of calls, each call's legs. */
import { html, raw, type Html } from "./html.js";
import { DISPOSITIONS, PAGE_SIZES, filterParams, type CdrFilter } from "./cdr-query.js";

export interface CdrRecord {
  readonly start: string; readonly src: string; readonly dst: string; readonly clid: string; readonly duration: number | string;
  readonly billsec: number | string; readonly disposition: string; readonly lastapp: string; readonly channel: string; readonly dstchannel: string;
  readonly uniqueid: string; readonly userfield: string; readonly accountcode: string; readonly linkedid: string; readonly peeraccount: string;
  readonly lastdata?: string;
}

export interface CdrView {
  readonly filter: CdrFilter;
  readonly calls: readonly { linkedid: string; rows: readonly CdrRecord[] }[];
  /** Undefined while the count still runs (the page's script asks /cdr/count). */
  readonly totalCalls?: number;
  readonly totalRows: number;
  readonly ms: number;
  readonly error?: string;
}

const seconds = (s: number | string) => `${s}s`;
const inputTime = (t?: string) => (t ? t.slice(0, 16).replace(" ", "T") : "");

function filters(base: string, f: CdrFilter): Html {
  return html`<form class="filters" method="get" action="${base}/cdr">
<label>From (UTC)<input type="datetime-local" name="from" value="${inputTime(f.from)}"></label>
<label>To (UTC)<input type="datetime-local" name="to" value="${inputTime(f.to)}"></label>
<label>Caller (src)<input name="src" value="${f.src ?? ""}" placeholder="1001 or 10*" maxlength="128"></label>
<label>Callee (dst)<input name="dst" value="${f.dst ?? ""}" placeholder="2002" maxlength="128"></label>
<label>Duration over (s)<input type="number" min="0" name="duration" value="${f.minDuration ?? ""}"></label>
<label>Account code<input name="accountcode" value="${f.accountcode ?? ""}" maxlength="128"></label>
<label>Linkedid<input name="linkedid" value="${f.linkedid ?? ""}" maxlength="128"></label>
<label>Uniqueid<input name="uniqueid" value="${f.uniqueid ?? ""}" maxlength="128"></label>
<fieldset><legend>Status</legend>${DISPOSITIONS.map((d) => html`<label><input type="checkbox" name="disposition" value="${d}" ${f.disposition.includes(d) ? "checked" : ""}>${d}</label>`)}</fieldset>
<label>Per page<select name="size">${PAGE_SIZES.map((n) => html`<option ${n === f.size ? "selected" : ""}>${n}</option>`)}</select></label>
<input type="hidden" name="sort" value="${f.sort}"><input type="hidden" name="dir" value="${f.dir}">
<div class="actions"><button type="submit">Search</button><a class="button plain" href="${base}/cdr">Clear</a></div>
</form>`;
}

function header(base: string, f: CdrFilter, column: string, label: string, cls = ""): Html {
  const on = f.sort === column;
  const dir = on && f.dir === "desc" ? "asc" : "desc";
  return html`<th class="${cls}"><a href="${base}/cdr?${filterParams(f, { sort: column, dir, page: 1 }).toString()}">${label}${on ? (f.dir === "desc" ? " ▼" : " ▲") : ""}</a></th>`;
}

function row(base: string, r: CdrRecord, first: boolean, legs: number): Html {
  return html`<tr class="${first ? "first" : "leg"}" data-linkedid="${r.linkedid}">
<td>${r.start.slice(0, 19)}</td><td title="${r.clid}">${r.src}</td><td>${r.dst}</td>
<td><span class="st st-${r.disposition.replace(" ", "")}">${r.disposition}</span></td>
<td class="num">${seconds(r.duration)}</td><td class="num">${seconds(r.billsec)}</td>
<td class="wide">${r.lastapp}</td><td class="wide">${r.accountcode}</td>
<td><details><summary>${first ? html`Details${legs > 1 ? ` (${legs} legs)` : ""}` : "Details"}</summary><dl>
<dt>clid</dt><dd>${r.clid}</dd><dt>channel</dt><dd>${r.channel}</dd><dt>dstchannel</dt><dd>${r.dstchannel}</dd>
<dt>lastapp</dt><dd>${r.lastapp}</dd><dt>uniqueid</dt><dd>${r.uniqueid}</dd><dt>linkedid</dt><dd>${r.linkedid}</dd>
<dt>userfield</dt><dd>${r.userfield}</dd><dt>accountcode</dt><dd>${r.accountcode}</dd><dt>peeraccount</dt><dd>${r.peeraccount}</dd>
</dl></details>${first ? html` <a class="timeline" href="${base}/calls/${encodeURIComponent(r.linkedid)}">Timeline</a>` : ""}</td></tr>`;
}

export function cdrBody(base: string, view: CdrView): Html {
  const f = view.filter;
  // Until the count is in, the page knows only whether its own page is full.
  const pages = view.totalCalls === undefined ? undefined : Math.max(1, Math.ceil(view.totalCalls / f.size));
  const lastKnown = pages ?? (view.calls.length === f.size ? f.page + 1 : f.page);
  const pageLink = (page: number, label: string) => page < 1 || page > lastKnown || page === f.page
    ? html`<span class="off">${label}</span>`
    : html`<a class="button plain" href="${base}/cdr?${filterParams(f, { page }).toString()}">${label}</a>`;
  const counting = pages === undefined ? html`<script>${raw(`(function(){var c=document.getElementById("count");
fetch(${JSON.stringify(`${base}/cdr/count?${filterParams(f).toString()}`)},{credentials:"same-origin"}).then(function(r){if(!r.ok)throw r.status;return r.json()}).then(function(d){
c.querySelector(".calls").textContent=d.calls;c.querySelector(".pages").textContent=d.pages;
var last=document.getElementById("last");if(d.pages>${f.page}&&last){var a=document.createElement("a");a.className="button plain";a.id="last";a.textContent=last.textContent;
a.href=${JSON.stringify(`${base}/cdr?${filterParams(f, { page: "PAGES" }).toString()}`)}.replace("PAGES",d.pages);last.replaceWith(a)}
}).catch(function(){c.querySelector(".calls").textContent="?"})})();`)}</script>` : "";
  return html`<h1>Call records</h1>${filters(base, f)}
${view.error ? html`<div class="error" role="alert">${view.error}</div>` : ""}
<div class="summary"><span id="count"><span class="calls">${view.totalCalls ?? "counting"}</span> calls, ${view.totalRows} records · page ${f.page} of <span class="pages">${pages ?? "…"}</span> · ${view.ms} ms</span>
<a class="button plain" id="csv" href="${base}/cdr.csv?${filterParams(f, { page: undefined, size: undefined }).toString()}">Export CSV</a></div>
<div class="scroll"><table id="cdr"><thead><tr>${header(base, f, "start", "Time")}${header(base, f, "src", "Caller")}${header(base, f, "dst", "Callee")}
${header(base, f, "disposition", "Status")}${header(base, f, "duration", "Duration")}${header(base, f, "billsec", "Billed")}
<th class="wide">Last app</th><th class="wide">Account</th><th>Details</th></tr></thead>
${view.calls.length === 0 ? html`<tbody><tr><td colspan="9" class="empty">No calls match.</td></tr></tbody>` : ""}
${view.calls.map((c) => html`<tbody class="call">${c.rows.map((r, i) => row(base, r, i === 0, c.rows.length))}</tbody>`)}
</table></div>
<div class="pager">${pageLink(1, "« First")}${pageLink(f.page - 1, "‹ Previous")}${pageLink(f.page + 1, "Next ›")}${pages === undefined ? html`<span class="off" id="last">Last »</span>` : pageLink(pages, "Last »")}</div>${counting}`;
}
