/** The frame every console page shares: header, navigation, one small stylesheet. */
import { html, raw, type Html } from "./html.js";

const STYLE = raw(`
*{box-sizing:border-box}body{margin:0;font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2330;background:#f4f6f9}
header{display:flex;align-items:center;gap:18px;padding:10px 20px;background:#1d2a3a;color:#fff}
header b{font-size:16px;letter-spacing:.5px}header nav{display:flex;gap:4px;flex:1}
header a{color:#c9d6e6;text-decoration:none;padding:5px 10px;border-radius:4px}header a.on,header a:hover{background:#32465e;color:#fff}
header .who{font-size:12px;color:#9fb0c4}main{padding:16px 20px;max-width:1400px;margin:0 auto}
h1{font-size:20px;margin:4px 0 12px}h2{font-size:16px;margin:18px 0 8px}
form.filters{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:8px 12px;background:#fff;padding:12px;border:1px solid #dde3ea;border-radius:6px}
form.filters label{display:flex;flex-direction:column;font-size:12px;color:#566;gap:2px}
input,select,button{font:inherit;padding:5px 7px;border:1px solid #b9c3cf;border-radius:4px;background:#fff}
button,.button{background:#2f6fde;border-color:#2f6fde;color:#fff;cursor:pointer;text-decoration:none;padding:6px 12px;border-radius:4px;display:inline-block}
.button.plain{background:#fff;color:#2f6fde}fieldset{border:0;padding:0;margin:0;display:flex;flex-wrap:wrap;gap:2px 10px;font-size:12px}
fieldset legend{font-size:12px;color:#566;padding:0}fieldset label{flex-direction:row!important;align-items:center;gap:4px!important}
.actions{display:flex;gap:8px;align-items:end}
.summary{margin:12px 0 6px;color:#566;display:flex;justify-content:space-between;flex-wrap:wrap;gap:6px}
.scroll{overflow-x:auto;background:#fff;border:1px solid #dde3ea;border-radius:6px}
table{border-collapse:collapse;width:100%}th,td{padding:6px 10px;text-align:left;border-bottom:1px solid #edf0f4;white-space:nowrap}
th{background:#f0f3f7;font-size:12px;text-transform:uppercase;letter-spacing:.3px;color:#4a5566}th a{color:inherit;text-decoration:none}
tbody.call{border-top:2px solid #cfd8e3}tbody.call tr.leg td:first-child{padding-left:22px;color:#778}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.st{display:inline-block;padding:1px 7px;border-radius:10px;font-size:12px;font-weight:600}
.st-ANSWERED{background:#dff3e4;color:#17692e}.st-NO.ANSWER,.st-NOANSWER{background:#fff1d6;color:#8a5a00}.st-BUSY{background:#fde2e1;color:#9b1c1c}
.st-FAILED,.st-CONGESTION{background:#eee;color:#444}
details summary{cursor:pointer;color:#2f6fde}details dl{display:grid;grid-template-columns:auto 1fr;gap:2px 10px;margin:6px 0;font-size:12px;white-space:normal}
details dt{color:#667}details dd{margin:0;word-break:break-all}
.pager{display:flex;gap:6px;margin:10px 0;align-items:center}.pager .off{color:#aab;padding:6px 12px}
.error{background:#fde2e1;color:#8b1a1a;padding:10px 14px;border-radius:6px;margin:10px 0}
.empty{padding:30px;text-align:center;color:#778}
.login{max-width:340px;margin:80px auto;background:#fff;padding:24px;border:1px solid #dde3ea;border-radius:8px;display:flex;flex-direction:column;gap:10px}
.login label{display:flex;flex-direction:column;font-size:12px;color:#566;gap:3px}
header a{white-space:nowrap}
@media (max-width:700px){header{flex-wrap:wrap;gap:8px;padding:8px 12px}main{padding:10px}th.wide,td.wide{display:none}form.filters{grid-template-columns:minmax(0,1fr) minmax(0,1fr)}form.filters input:not([type=checkbox]),form.filters select{min-width:0;width:100%}th,td{padding:6px}fieldset,.actions{grid-column:1/-1}input[type=datetime-local]{min-width:0;width:100%}}
`);

export interface Frame { readonly title: string; readonly base: string; readonly user?: string; readonly section?: "cdr" | "queues" | "calls"; readonly head?: Html }

export function page(frame: Frame, body: Html): string {
  const link = (section: Frame["section"], path: string, label: string) =>
    html`<a href="${frame.base}${path}" class="${frame.section === section ? "on" : ""}">${label}</a>`;
  return "<!doctype html>\n" + html`<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${frame.title} · Recall</title><style>${STYLE}</style>${frame.head}</head><body>
<header><b>Recall</b>${frame.user ? html`<nav>${link("cdr", "/cdr", "Call records")}${link("queues", "/queues", "Queues")}</nav>
<span class="who">${frame.user} · <a href="${frame.base}/logout">log out</a></span>` : ""}</header>
<main>${body}</main></body></html>`.text;
}
