/**
 * /queues: the wallboard. The board is one server-rendered fragment; the page's script
 * replaces it with each fragment the event stream (`/queues/events`, server-sent
 * events) brings, and ticks the waiting and since-times every second.
 */
import { html, raw, type Html } from "./html.js";
import { INTERVAL_MS, type MemberStatus, type Wallboard } from "./wallboard.js";

const STATUS_CLASS: Record<MemberStatus, string> = {
  idle: "idle", ringing: "ringing", "in call": "incall", "wrap-up": "wrapup", paused: "paused", unavailable: "unavail",
};

export const WALLBOARD_STYLE = raw(`<style>
.board{display:grid;grid-template-columns:repeat(auto-fill,minmax(380px,1fr));gap:14px}
.queue{background:#fff;border:1px solid #dde3ea;border-radius:8px;padding:12px 14px}
.queue h2{margin:0 0 8px;display:flex;justify-content:space-between;align-items:baseline}.queue h2 small{font-weight:400;color:#778;font-size:12px}
.tiles{display:grid;grid-template-columns:repeat(3,1fr);gap:8px;margin-bottom:10px}
.tile{background:#f4f6f9;border-radius:6px;padding:6px 8px}.tile b{display:block;font-size:22px;font-variant-numeric:tabular-nums}.tile span{font-size:11px;color:#667;text-transform:uppercase}
.tile.alert{background:#fde2e1}.tile.good{background:#dff3e4}
.m{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600}
.m-idle{background:#dff3e4;color:#17692e}.m-ringing{background:#fff1d6;color:#8a5a00;animation:pulse 1s infinite}.m-incall{background:#dde8fd;color:#1e4fb0}
.m-wrapup{background:#ece3fb;color:#5b2fa8}.m-paused{background:#eee;color:#555}.m-unavail{background:#fde2e1;color:#9b1c1c}
@keyframes pulse{50%{opacity:.55}}.waiting{font-size:12px;color:#556;margin:6px 0 0}
.chart{background:#fff;border:1px solid #dde3ea;border-radius:8px;padding:10px 14px;margin-top:14px}
#live{font-size:12px;color:#778}#live.on::before{content:"● ";color:#2e9d57}#live.off::before{content:"● ";color:#c33}
@media (max-width:700px){.board{grid-template-columns:1fr}.tiles{grid-template-columns:repeat(2,1fr)}}
</style>`);

const clock = (micros: number) => html`<span class="since" data-since="${Math.floor(micros / 1000)}"></span>`;

function chart(board: Wallboard): Html {
  const data = board.intervals();
  const max = Math.max(1, ...data.map((d) => d.offered + d.answered + d.abandoned));
  const W = 720, H = 140, bw = W / Math.max(12, data.length);
  const bars = data.map((d, i) => {
    const x = i * bw + 4;
    const h = (n: number) => (n / max) * (H - 30);
    const at = new Date(d.start);
    const label = `${String(at.getHours()).padStart(2, "0")}:${String(at.getMinutes()).padStart(2, "0")}`;
    return html`<g><title>${label}: ${d.offered} offered, ${d.answered} answered, ${d.abandoned} abandoned</title>
<rect x="${x.toFixed(1)}" y="${(H - 16 - h(d.offered)).toFixed(1)}" width="${(bw / 3 - 2).toFixed(1)}" height="${h(d.offered).toFixed(1)}" fill="#9fb6d9"/>
<rect x="${(x + bw / 3).toFixed(1)}" y="${(H - 16 - h(d.answered)).toFixed(1)}" width="${(bw / 3 - 2).toFixed(1)}" height="${h(d.answered).toFixed(1)}" fill="#2e9d57"/>
<rect x="${(x + (2 * bw) / 3).toFixed(1)}" y="${(H - 16 - h(d.abandoned)).toFixed(1)}" width="${(bw / 3 - 2).toFixed(1)}" height="${h(d.abandoned).toFixed(1)}" fill="#d9534f"/>
<text x="${x.toFixed(1)}" y="${H - 3}" font-size="10" fill="#667">${label}</text></g>`;
  });
  return html`<div class="chart"><b>Calls per ${INTERVAL_MS / 60_000} minutes</b> <small>(server time; offered <span style="color:#6d8fc4">■</span> answered <span style="color:#2e9d57">■</span> abandoned <span style="color:#d9534f">■</span>${board.seeded ? "" : "; since Recall started"})</small>
<svg viewBox="0 0 ${W} ${H}" width="100%" style="max-width:${W}px;display:block" role="img" aria-label="Calls per interval">${bars}</svg></div>`;
}

export function boardFragment(board: Wallboard): Html {
  const queues = board.queues();
  if (queues.length === 0) return html`<p class="empty">No queues (queues.conf).</p>`;
  return html`<div class="board">${queues.map((q) => {
    const members = board.members(q.name);
    const oldest = q.callers.length ? Math.min(...q.callers.map((c) => c.enteredAt)) : 0;
    const today = board.today(q.name);
    const sl = today.answered ? Math.round((today.answeredInSl / today.answered) * 100) : undefined;
    return html`<section class="queue" data-queue="${q.name}"><h2>${q.name}<small>${q.strategy} · ${members.length} members</small></h2>
<div class="tiles">
<div class="tile ${q.callers.length ? "alert" : ""}"><b class="waiting-count">${q.callers.length}</b><span>Waiting</span></div>
<div class="tile"><b>${oldest ? clock(oldest) : "—"}</b><span>Longest wait</span></div>
<div class="tile ${sl !== undefined && sl >= 80 ? "good" : ""}"><b>${sl === undefined ? "—" : `${sl}%`}</b><span>Service level (${q.servicelevel}s)</span></div>
<div class="tile"><b class="answered">${today.answered}</b><span>Answered today</span></div>
<div class="tile"><b class="abandoned">${today.abandoned}</b><span>Abandoned today</span></div>
<div class="tile"><b>${today.answered ? `${Math.round(today.holdtimeTotal / today.answered)}s` : "—"}</b><span>Avg hold today</span></div></div>
<table class="members"><thead><tr><th>Member</th><th>State</th><th>For</th><th class="num">Calls</th></tr></thead><tbody>
${members.map((m) => html`<tr data-interface="${m.interface}"><td>${m.name}</td><td><span class="m m-${STATUS_CLASS[m.status]}">${m.status}</span>${m.reason ? html` <small>${m.reason}</small>` : ""}</td>
<td>${clock(m.since)}</td><td class="num">${m.callsTaken}</td></tr>`)}
</tbody></table>
${q.callers.length ? html`<p class="waiting">Waiting: ${q.callers.map((c, i) => html`${i ? ", " : ""}${i + 1}. ${c.callerIdName ? `${c.callerIdName} ` : ""}&lt;${c.callerIdNum}&gt; ${clock(c.enteredAt)}`)}</p>` : ""}
</section>`;
  })}</div>${chart(board)}`;
}

export function queuesBody(base: string, board: Wallboard, nowMs: number): Html {
  return html`<h1>Queues <span id="live" class="off">connecting</span></h1><div id="board" data-now="${nowMs}">${boardFragment(board)}</div>
<script>${raw(`(function(){var board=document.getElementById("board"),live=document.getElementById("live"),skew=Date.now()-(+board.dataset.now);
function fmt(ms){var s=Math.max(0,Math.floor(ms/1000)),m=Math.floor(s/60),h=Math.floor(m/60);return h?h+"h"+String(m%60).padStart(2,"0"):m+":"+String(s%60).padStart(2,"0")}
function tick(){var now=Date.now()-skew;board.querySelectorAll(".since").forEach(function(e){e.textContent=fmt(now-(+e.dataset.since))})}
var es=new EventSource(${JSON.stringify(`${base}/queues/events`)});
es.onopen=function(){live.className="on";live.textContent="live"};es.onerror=function(){live.className="off";live.textContent="reconnecting"};
es.onmessage=function(m){var d=JSON.parse(m.data);skew=Date.now()-d.now;board.innerHTML=d.html;board.dataset.version=d.version;tick()};
setInterval(tick,1000);tick()})();`)}</script>`;
}
