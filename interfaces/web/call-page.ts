/**
 * /calls/<linkedid>: one call rebuilt from the log: a swimlane of its legs (from its CEL
 * events), a slider showing every actor's state at any transition (the log's own
 * records of the call: channels, bridges, dialplan, SIP, DTMF, queues), the CEL events
 * in order, the actor transitions, its CDR legs, and MixMonitor's recordings.
 */
import { html, raw, type Html } from "./html.js";
import type { CdrRecord } from "./cdr-page.js";
import type { LogStep } from "./call-log.js";

/** What a linkedid may look like: Asterisk's `<epoch>.<n>` or a system-name-prefixed one; nothing that walks a path. */
export const LINKEDID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export interface CelRecord {
  readonly eventtype: string; readonly eventtime: string; readonly cid_name: string; readonly cid_num: string; readonly exten: string;
  readonly context: string; readonly channame: string; readonly appname: string; readonly appdata: string; readonly uniqueid: string;
  readonly linkedid: string; readonly peer: string; readonly extra: string; readonly userdeftype: string;
  readonly log_offset?: number | string;
}

type LegState = "ringing" | "up" | "bridged" | "hung up";

/** A channel's state after an event, as the swimlane and the slider show it. */
function next(state: LegState | undefined, e: CelRecord): LegState | undefined {
  switch (e.eventtype) {
    case "CHAN_START": return "ringing";
    case "ANSWER": return "up";
    case "BRIDGE_ENTER": return "bridged";
    case "BRIDGE_EXIT": return state === "hung up" ? state : "up";
    case "HANGUP": case "CHAN_END": return "hung up";
    default: return state;
  }
}

const micros = (t: string) => Date.parse(`${t.replace(" ", "T").slice(0, 23)}Z`);

function detail(e: CelRecord): string {
  if (e.eventtype === "APP_START" || e.eventtype === "APP_END") return `${e.appname}(${e.appdata})`;
  if (e.eventtype === "USER_DEFINED") return e.userdeftype;
  return [e.peer && `peer ${e.peer}`, e.extra].filter(Boolean).join(" · ");
}

const COLOURS: Record<LegState, string> = { ringing: "#f2b33d", up: "#5b8def", bridged: "#2e9d57", "hung up": "#c7ced8" };

function swimlane(cel: readonly CelRecord[]): Html {
  const lanes = [...new Set(cel.map((e) => e.channame).filter(Boolean))];
  if (lanes.length === 0) return html``;
  const t0 = micros(cel[0].eventtime), t1 = Math.max(t0 + 1, micros(cel[cel.length - 1].eventtime));
  const W = 1000, left = 210, laneH = 34, width = W - left - 10;
  const x = (t: string) => left + ((micros(t) - t0) / (t1 - t0)) * width;
  const parts: Html[] = [];
  lanes.forEach((lane, i) => {
    const y = 20 + i * laneH;
    parts.push(html`<text x="6" y="${y + 15}" class="lane">${lane.length > 30 ? `${lane.slice(0, 29)}…` : lane}</text>`);
    let state: LegState | undefined, since = "";
    for (const e of cel.filter((c) => c.channame === lane)) {
      const after = next(state, e);
      if (after !== state) {
        if (state && state !== "hung up") parts.push(html`<rect x="${x(since).toFixed(1)}" y="${y + 4}" width="${Math.max(2, x(e.eventtime) - x(since)).toFixed(1)}" height="16" rx="3" fill="${COLOURS[state]}"><title>${state}</title></rect>`);
        state = after; since = e.eventtime;
      }
      parts.push(html`<circle cx="${x(e.eventtime).toFixed(1)}" cy="${y + 12}" r="3.5" class="ev"><title>${e.eventtime.slice(11, 23)} ${e.eventtype} ${detail(e)}</title></circle>`);
    }
  });
  const legend = (Object.keys(COLOURS) as LegState[]).filter((s) => s !== "hung up").map((s, i) =>
    html`<rect x="${left + i * 110}" y="${20 + lanes.length * laneH}" width="14" height="10" fill="${COLOURS[s]}"/><text x="${left + i * 110 + 20}" y="${29 + lanes.length * laneH}" class="lane">${s}</text>`);
  return html`<div class="scroll"><svg id="swimlane" viewBox="0 0 ${W} ${40 + lanes.length * laneH}" width="100%" role="img" aria-label="Legs of the call over time">
<style>.lane{font:12px system-ui,sans-serif;fill:#334}.ev{fill:#1d2a3a}</style>${parts}${legend}
<text x="${left}" y="12" class="lane">${cel[0].eventtime.slice(11, 19)}</text><text x="${W - 10}" y="12" class="lane" text-anchor="end">${cel[cel.length - 1].eventtime.slice(11, 19)} (${((t1 - t0) / 1000).toFixed(1)} s)</text></svg></div>`;
}

const iso = (micros: number) => `${new Date(Math.floor(micros / 1000)).toISOString().slice(11, 23)}`;

export function callBody(base: string, linkedid: string, cel: readonly CelRecord[], cdr: readonly CdrRecord[], steps: readonly LogStep[] = [], recordings: readonly string[] = []): Html {
  // The slider steps through the log's records of the call when there are any (each holds its actor's state after it), else the CEL events.
  let actors: string[], after: string[][], labels: string[];
  if (steps.length) {
    actors = [...new Set(steps.map((s) => s.stream))];
    const now: Record<string, string> = {};
    after = steps.map((s) => { now[s.stream] = s.state; return actors.map((a) => now[a] ?? "—"); });
    labels = steps.map((s) => `offset ${s.offset} · ${iso(s.time)} · ${s.stream} · ${s.input}`);
  } else {
    actors = [...new Set(cel.map((e) => e.channame).filter(Boolean))];
    const states: Record<string, LegState | undefined> = {};
    after = cel.map((e) => {
      if (e.channame) states[e.channame] = next(states[e.channame], e);
      return actors.map((c) => states[c] ?? "—");
    });
    labels = cel.map((e) => `${e.eventtime.slice(11, 23)} ${e.eventtype} ${e.channame}`);
  }
  const data = JSON.stringify({ actors, after, labels, rows: steps.length ? "#log" : "#events" }).replace(/</g, "\\u003c");
  const channels = [...new Set(cel.map((e) => e.channame).filter(Boolean))];
  return html`<h1>Call ${linkedid}</h1>
<p><a href="${base}/cdr?linkedid=${encodeURIComponent(linkedid)}">Its records</a> · ${cel.length} events · ${channels.length} channels · ${steps.length} actor transitions</p>
${swimlane(cel)}
${recordings.length ? html`<h2>Recordings</h2>${recordings.map((name, i) => html`<p>${name}<br><audio controls preload="none" src="${base}/calls/${encodeURIComponent(linkedid)}/recording/${i}"></audio></p>`)}` : ""}
<h2>State at a point</h2>
<div class="filters" style="display:block"><input id="at" type="range" min="0" max="${Math.max(0, after.length - 1)}" value="${Math.max(0, after.length - 1)}" style="width:100%" aria-label="Point in the call">
<div id="at-event"></div><div class="scroll"><table id="state"><thead><tr><th>Actor</th><th>State</th></tr></thead><tbody></tbody></table></div></div>
<h2>Events</h2>
<div class="scroll"><table id="events"><thead><tr><th>#</th><th>Time (UTC)</th><th>Event</th><th>Channel</th><th>Caller</th><th class="wide">Context / exten</th><th>Detail</th></tr></thead><tbody>
${cel.map((e, i) => html`<tr data-i="${i}"><td class="num">${i + 1}</td><td>${e.eventtime.slice(0, 23)}</td><td><b>${e.eventtype}</b></td><td>${e.channame}</td>
<td>${e.cid_name ? `"${e.cid_name}" ` : ""}${e.cid_num}</td><td class="wide">${e.context}${e.exten ? ` / ${e.exten}` : ""}</td><td>${detail(e)}</td></tr>`)}
</tbody></table></div>
${steps.length ? html`<h2>Actor transitions (the log)</h2>
<div class="scroll"><table id="log"><thead><tr><th>Offset</th><th>Time</th><th>Actor</th><th>Input</th><th>State after</th><th class="wide">Outputs</th><th class="wide">Input detail</th></tr></thead><tbody>
${steps.map((s, i) => html`<tr data-i="${i}"><td class="num">${s.offset}</td><td>${iso(s.time)}</td><td>${s.stream}</td><td><b>${s.input}</b></td><td>${s.state}</td><td class="wide">${s.outputs}</td><td class="wide" style="white-space:normal;max-width:420px;font-size:12px">${s.detail}</td></tr>`)}
</tbody></table></div>` : ""}
<h2>Records</h2>
<div class="scroll"><table><thead><tr><th>Start</th><th>Caller</th><th>Callee</th><th>Status</th><th>Duration</th><th>Billed</th><th>Channel</th><th>Dst channel</th><th>Last app</th></tr></thead><tbody>
${cdr.map((r) => html`<tr><td>${r.start.slice(0, 19)}</td><td>${r.src}</td><td>${r.dst}</td><td><span class="st st-${r.disposition.replace(" ", "")}">${r.disposition}</span></td>
<td class="num">${r.duration}s</td><td class="num">${r.billsec}s</td><td>${r.channel}</td><td>${r.dstchannel}</td><td>${r.lastapp}(${r.lastdata ?? ""})</td></tr>`)}
</tbody></table></div>
<script>${raw(`(function(){var d=${data},at=document.getElementById("at"),tb=document.querySelector("#state tbody"),ev=document.getElementById("at-event");
function show(){var i=+at.value,s=d.after[i]||[];ev.textContent=d.labels.length?("After "+(i+1)+" of "+d.labels.length+": "+d.labels[i]):"Nothing recorded";
tb.innerHTML="";d.actors.forEach(function(c,k){var tr=document.createElement("tr"),a=document.createElement("td"),b=document.createElement("td");a.textContent=c;b.textContent=s[k];tr.append(a,b);tb.append(tr)});
document.querySelectorAll(d.rows+" tbody tr").forEach(function(r){r.style.opacity=(+r.dataset.i>i)?"0.35":"1"})}
at.addEventListener("input",show);show()})();`)}</script>`;
}
