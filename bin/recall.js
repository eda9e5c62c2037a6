#!/usr/bin/env -S node --max-semi-space-size=64
// --max-semi-space-size: a 64 MB young generation; a busy PBX allocates short-lived objects
// per message and per event, and a larger nursery scavenges them less often (npm start
// and the tests' `recall start` pass the same flag).
// The `recall` command. The TypeScript build lives in dist/ (npm ci builds it).
import("../dist/interfaces/cli/main.js").catch((e) => {
  if (e && e.code === "ERR_MODULE_NOT_FOUND" && String(e.message).includes("dist/interfaces/cli/main.js")) {
    process.stderr.write("recall: not built yet; run `npm ci` (or `npm run build`) first\n");
    process.exit(2);
  }
  throw e;
});
