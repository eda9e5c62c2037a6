import { test } from "node:test";
import assert from "node:assert/strict";
import { boundsQuery, callsQuery, countQuery, csvQuery, windowQuery, FilterError, filterParams, parseFilter, rowsQuery } from "./cdr-query.js";
import { html, raw } from "./html.js";

const parse = (q: string) => parseFilter(new URLSearchParams(q));

test("no value a user gives ever appears in the SQL text", () => {
  const marker = "ZQX'\"`;--";
  const f = parse(new URLSearchParams({ src: marker, dst: marker, accountcode: marker, linkedid: marker, uniqueid: marker, from: "2026-12-06T10:00", to: "2026-12-07", duration: "30", disposition: "BUSY" }).toString());
  for (const q of [callsQuery(f).sql, countQuery(f).sql, boundsQuery(f).sql, windowQuery(f, 1).sql, windowQuery({ ...f, dir: "asc" }, 1).sql, rowsQuery(f, [marker]).sql, csvQuery(f).sql]) {
    assert.doesNotMatch(q, /ZQX|2026|30|BUSY/, q);
  }
  const { params } = callsQuery(f);
  assert.equal(params.src, `%${marker}%`);
  assert.equal(params.from, "2026-12-06 10:00:00");
  assert.equal(params.to, "2026-12-07 23:59:59");
  assert.deepEqual(params.disposition, ["BUSY"]);
});

test("LIKE: * is a wildcard, _ and \\ are characters, a bare value matches anywhere", () => {
  assert.equal(callsQuery(parse("src=10*")).params.src, "10%");
  assert.equal(callsQuery(parse("src=a_b")).params.src, "%a\\_b%");
});

test("malformed and oversized values are FilterErrors naming the field", () => {
  const cases: [string, RegExp][] = [
    ["disposition=ANSWERED'", /disposition/], ["sort=start%3B", /sort/], ["dir=up", /dir/], ["duration=-1", /duration/],
    ["duration=1e9", /duration/], ["from=yesterday", /from/], ["from=2026-02-30", /from/], ["size=7", /size/],
    [`src=${"x".repeat(129)}`, /src/], ["from=2026-12-07&to=2026-12-06", /from/], ["page=0x10", /page/],
  ];
  for (const [q, field] of cases) assert.throws(() => parse(q), (e: Error) => e instanceof FilterError && field.test(e.message), q);
});

test("the filter round-trips through the URL", () => {
  const f = parse("from=2026-12-06T10:00&src=1001&disposition=BUSY&disposition=NO+ANSWER&duration=5&sort=billsec&dir=asc&page=3&size=25");
  assert.deepEqual(parse(filterParams(f).toString()), f);
});

test("html escapes every value, not Html", () => {
  assert.equal(html`<td title="${"\"><script>"}">${"<b>&"}</td>${raw("<i>")}${["a", html`<br>`]}`.text,
    '<td title="&quot;&gt;&lt;script&gt;">&lt;b&gt;&amp;</td><i>a<br>');
});
