import { it } from "node:test";
import assert from "node:assert/strict";
import { VirtualClock } from "../../core/clock.js";
import { KeptBytes } from "./kept-bytes.js";

const LIFETIME = 32_000_000;

it("gives back what it kept, byte for byte, from Buffers and latin1 strings alike", () => {
  const kept = new KeptBytes(new VirtualClock(0));
  const binary = Buffer.from([0, 1, 2, 0xfe, 0xff]);
  const text = "SIP/2.0 200 OK\r\nTo: <sip:é@x>\r\n\r\n";
  const a = kept.put(binary, LIFETIME), b = kept.put(text, LIFETIME), c = kept.put(Buffer.alloc(0), LIFETIME);
  assert.deepEqual(kept.get(a), binary);
  assert.equal(kept.get(b)!.toString("latin1"), text);
  assert.equal(kept.get(c)!.length, 0);
});

it("drops a slab once everything in it has expired, oldest first, and only then", () => {
  const clock = new VirtualClock(0);
  const kept = new KeptBytes(clock);
  const response = Buffer.alloc(500, 0x41);
  const handles: number[] = [];
  const perSlab = Math.floor((1 << 20) / (4 + response.length)); // 2,080: each entry has a 4-byte length
  // 500 responses a millisecond for 10 ms: about 2.4 MiB, three slabs.
  for (let ms = 0; ms < 10; ms++) {
    for (let i = 0; i < 500; i++) handles.push(kept.put(response, clock.now() + LIFETIME));
    clock.advance(1000);
  }
  assert.equal(kept.heldBytes, 3 << 20);
  clock.advanceTo(LIFETIME + 4000); // the first 2,500 have expired: all of the first slab, part of the second
  kept.drop();
  assert.equal(kept.heldBytes, 2 << 20);
  assert.equal(kept.get(handles[0]), undefined);
  assert.equal(kept.get(handles[perSlab - 1]), undefined);
  assert.deepEqual(kept.get(handles[perSlab]), response, "the next slab is untouched");
  assert.deepEqual(kept.get(handles[4999]), response);
  clock.advanceTo(LIFETIME + 10_000);
  kept.drop();
  assert.equal(kept.heldBytes, 0);
  const later = kept.put(response, clock.now() + LIFETIME);
  assert.deepEqual(kept.get(later), response, "a handle after a full drop still finds its slab");
  assert.equal(kept.get(handles[4999]), undefined);
});

it("keeps an entry bigger than a slab in a slab of its own", () => {
  const kept = new KeptBytes(new VirtualClock(0));
  const small = kept.put("x", LIFETIME);
  const big = Buffer.alloc(3 << 20, 7);
  const h = kept.put(big, LIFETIME);
  assert.deepEqual(kept.get(h), big);
  assert.equal(kept.get(small)!.toString(), "x");
  assert.throws(() => kept.put(Buffer.alloc(1 << 24), LIFETIME), RangeError);
});
