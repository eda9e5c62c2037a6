#!/usr/bin/env -S node --max-semi-space-size=16 --initial-old-space-size=128
// --max-semi-space-size: a 16 MB young generation. A busy PBX allocates short-lived objects
// per message and per event; a larger nursery scavenges less often but each scavenge stops
// the event loop longer (64 MB: up to 46 ms; 16 MB: up to 25 ms at 100 calls/s), and a call
// set-up's tail is made of such stops (`npm start`, the service unit and the tests' `recall
// start` pass the same flags). Bulk replays (`npm run bench:projections`) run with 64 MB.
// --initial-old-space-size: the old generation may reach 128 MB before its first full GC.
// Calls in progress are promoted there; starting from V8's small default, a PBX under load
// ran a full GC every second or two while its heap grew, each stopping calls for 5-20 ms
// (B2BUA 100 calls/s: INVITE→200 p99 20-24 ms with the default, 12-16 ms with it).
// Both are for the main thread, whose heap is sized by now: the worker threads (media,
// projections) hold little for long, and each sets its own young generation
// (resourceLimits where it is started; the flag would override them).
// --no-allocation-site-pretenuring: V8 allocates a site's objects straight in the old
// generation once most of them have outlived a young-generation GC. Under load that
// verdict, once reached, sticks for objects that mostly die young (each transition's
// event record, XState's snapshots), and each becomes work for a full GC. At B2BUA 500
// calls/s, with the event log's tail cache off too, the main heap promoted 34 KB per call
// instead of 51 (V8's sampling heap profiler) and ran 4-5 full GCs in a 40 s run instead of 7.
// --heap-growing-percent=100: after a full GC the old generation may grow to twice what it
// kept, not V8's up to four times (for a heap allowed 2 GB or more). At B2BUA 500 calls/s
// the main heap keeps ~75 MB: it peaked at 195 MB instead of 390, RSS at 575 MiB instead of
// 760, with a full GC every 3-4 s instead of every 12 s (each pausing 4-12 ms) and less CPU,
// not more (97 % of a core instead of 109 % in `bench:calls`' 500/s step). Set here, it holds
// for every thread's heap. The maximum heap is left alone: near it V8 collects harder.
import v8 from "node:v8";
v8.setFlagsFromString("--initial-old-space-size=0");
v8.setFlagsFromString("--max-semi-space-size=0");
v8.setFlagsFromString("--no-allocation-site-pretenuring");
v8.setFlagsFromString("--heap-growing-percent=100");
// The `recall` command. The TypeScript build lives in dist/ (npm ci builds it).
import("../dist/interfaces/cli/main.js").catch((e) => {
  if (e && e.code === "ERR_MODULE_NOT_FOUND" && String(e.message).includes("dist/interfaces/cli/main.js")) {
    process.stderr.write("recall: not built yet; run `npm ci` (or `npm run build`) first\n");
    process.exit(2);
  }
  throw e;
});
