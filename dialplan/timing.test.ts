import { test } from "node:test";
import assert from "node:assert/strict";
import { localTimeAt, parseTiming, timingHoldsAt, timingMatches, type LocalTime } from "./timing.js";

const at = (weekday: number, hour: number, minute: number, monthDay = 15, month = 5): LocalTime => ({ weekday, hour, minute, monthDay, month });

test("office hours: 9:00-17:00 Monday to Friday, end minute included", () => {
  const t = parseTiming("9:00-17:00,mon-fri,*,*");
  assert.equal(timingMatches(t, at(1, 9, 0)), true);
  assert.equal(timingMatches(t, at(5, 17, 0)), true);
  assert.equal(timingMatches(t, at(5, 17, 1)), false);
  assert.equal(timingMatches(t, at(3, 8, 59)), false);
  assert.equal(timingMatches(t, at(6, 12, 0)), false, "Saturday");
  assert.equal(timingMatches(t, at(0, 12, 0)), false, "Sunday");
});

test("ranges wrap around: night shift and weekend", () => {
  const t = parseTiming("22:00-06:00|fri-mon");
  assert.equal(timingMatches(t, at(5, 23, 30)), true);
  assert.equal(timingMatches(t, at(0, 3, 0)), true);
  assert.equal(timingMatches(t, at(1, 6, 0)), true);
  assert.equal(timingMatches(t, at(2, 3, 0)), false, "Tuesday");
  assert.equal(timingMatches(t, at(5, 12, 0)), false, "noon");
});

test("days of month, months, lists with &", () => {
  const t = parseTiming("*,*,1&15-16,dec&jan");
  assert.equal(timingMatches(t, at(2, 0, 0, 15, 11)), true);
  assert.equal(timingMatches(t, at(2, 0, 0, 16, 0)), true);
  assert.equal(timingMatches(t, at(2, 0, 0, 17, 0)), false);
  assert.equal(timingMatches(t, at(2, 0, 0, 1, 5)), false, "June");
  assert.equal(parseTiming("*,*,*,*,Europe/Paris").timezone, "Europe/Paris");
});

test("bad elements are skipped with a warning", () => {
  const warnings: string[] = [];
  const t = parseTiming("25:00-26:00&10:00,funday,*,*", (w) => warnings.push(w));
  assert.equal(warnings.length, 2);
  assert.equal(t.minutes.size, 1);
  assert.equal(t.weekdays, 0);
});

test("evaluating at an instant uses the zone given", () => {
  const noonUtc = Date.UTC(2024, 0, 15, 12, 0) * 1000; // Monday 15 January 2024
  assert.deepEqual(localTimeAt(noonUtc, "UTC"), { month: 0, monthDay: 15, weekday: 1, hour: 12, minute: 0 });
  assert.equal(localTimeAt(noonUtc, "Asia/Tokyo").hour, 21);
  const t = parseTiming("9:00-17:00,mon-fri,*,*");
  assert.equal(timingHoldsAt(t, noonUtc, "UTC"), true);
  assert.equal(timingHoldsAt(t, noonUtc, "Asia/Tokyo"), false);
  assert.equal(timingHoldsAt(parseTiming("9:00-17:00,mon-fri,*,*,Nowhere/Bogus"), noonUtc, "UTC"), true, "an unknown zone falls back");
});
