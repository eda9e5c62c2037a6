import { test } from "node:test";
import assert from "node:assert/strict";
import { Packr } from "msgpackr";
import { GIVE_UP, peekInputType, read, readFirst } from "./body-reader.js";
import { decodeRecord, encodeFrame, FRAME_HEADER } from "./codec.js";
import { sampleDraft } from "./testing.js";

// The codec's own settings: what record bodies are written with.
const packr = new Packr({ useRecords: false, moreTypes: false, bundleStrings: false });
const whole = (v: unknown) => { const b = packr.pack(v); return read(b, 0, b.length); };

test("the body reader gives back what msgpackr gives back, for every kind of value a body holds", () => {
  const values: unknown[] = [
    0, 1, 127, 128, 255, 256, 65_535, 65_536, 2 ** 32 - 1, -1, -32, -33, -128, -129, -32_768, -32_769, -(2 ** 31),
    1716710000500000, 0.5, -1.25, Number.MAX_SAFE_INTEGER, null, true, false, undefined,
    "", "a", "PJSIP/1001-00000001", "x".repeat(31), "x".repeat(32), "y".repeat(40), "z".repeat(41), "w".repeat(300), "v".repeat(70_000),
    "José", "名前", "emoji 😀", "tab\tnew\nline\0nul\\",
    [], [1, [2, [3, []]]], new Array(20).fill("same"), Array.from({ length: 70_000 }, (_, i) => i % 7),
    {}, { a: 1, b: { c: [null, undefined, "d"] } }, Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, i])),
    { source: "dialplan", type: "app.start", app: "Dial", data: "PJSIP/2002,30", vars: { A: "1", "名": "José" } },
  ];
  for (const v of values) assert.deepStrictEqual(whole(v), packr.unpack(packr.pack(v)), JSON.stringify(v)?.slice(0, 60));
});

test("strings alike at both ends but different inside are each read as themselves (the intern table compares whole strings)", () => {
  const strings = Array.from({ length: 5000 }, (_, i) => `ab${i.toString(36).padStart(4, "0")}wxyz`);
  assert.deepStrictEqual(whole(strings), strings);
  assert.deepStrictEqual(whole([...strings].reverse()), [...strings].reverse());
});

test("what the reader leaves to msgpackr (bin, ext, float32, 64-bit integers, odd keys) or cannot read is given up, never misread", () => {
  const f32 = Buffer.from([0xca, 0x3f, 0xc0, 0x00, 0x00]);
  const cases: Buffer[] = [
    packr.pack(Buffer.from([1, 2, 3])), packr.pack(new Date(0)), f32, packr.pack(2n ** 60n), packr.pack(-(2n ** 60n)),
    Buffer.from([0x81, 0x01, 0x02]), // a map with an integer key
    Buffer.from([0x81, 0xa9, ...Buffer.from("__proto__"), 0xc0]),
    Buffer.from([0xc1]), // never used
    Buffer.from([0xd4, 0x05, 0x00]), // fixext of a type that is not msgpackr's undefined
    packr.pack("truncated").subarray(0, 5), packr.pack([1, 2, 3]).subarray(0, 3),
    Buffer.concat([packr.pack(1), packr.pack(2)]), // a value and more
    Buffer.from([0xdc, 0xff, 0xff]), // an array claiming more elements than bytes
  ];
  for (const b of cases) assert.equal(read(b, 0, b.length), GIVE_UP, b.toString("hex"));
});

test("a record whose body the reader gives up on is still decoded exactly, by msgpackr", () => {
  const r = { ...sampleDraft("contact:1", 1, 1), offset: 1 };
  r.input = { ...r.input, when: new Date(86_400_000), blob: Buffer.from([9, 8, 7]) } as typeof r.input;
  const bytes = encodeFrame(r).subarray(FRAME_HEADER);
  const input = decodeRecord(bytes, 1, false).input as Record<string, unknown>;
  assert.deepEqual(input.when, new Date(86_400_000));
  assert.deepEqual(Buffer.from(input.blob as Uint8Array), Buffer.from([9, 8, 7]));
});

test("an input's type is found past fields of every kind, without reading the rest; the input alone is read as msgpackr reads it", () => {
  const before = {
    n: [0, 200, 70_000, -5, -200, -70_000, 2 ** 31, 0.5], s: ["x".repeat(40), "y".repeat(300), "名前"], nil: null, yes: true, no: false, undef: undefined,
    big: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, [i, { i }]])), long: Array.from({ length: 70_000 }, (_, i) => i % 3),
  };
  const input = { source: "dialplan", ...before, type: "select", after: [1, 2, 3] };
  const body = packr.pack([input, { value: "active", context: { name: "q" } }, []]);
  assert.equal(peekInputType(body, 0, body.length), "select");
  assert.deepStrictEqual(readFirst(body, 0, body.length), packr.unpack(packr.pack(input)));
  const untyped = packr.pack([{ source: "x" }, {}, []]);
  assert.equal(peekInputType(untyped, 0, untyped.length), undefined);
  // A field the skipper leaves to the whole reader (a float32) before the type: no type, the caller decodes.
  const odd = Buffer.concat([Buffer.from([0x93, 0x82, 0xa1, 0x66, 0xca, 0x3f, 0xc0, 0, 0]), packr.pack("type"), packr.pack("join"), packr.pack({}), packr.pack([])]);
  assert.equal(peekInputType(odd, 0, odd.length), undefined);
  assert.equal(peekInputType(body, 0, 5), undefined, "truncated");
});
