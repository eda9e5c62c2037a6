/**
 * Debian's chromium driven by playwright-core for the console's tests: headless, a
 * fresh profile each time, nothing fetched from the network on its own (no browser
 * download: executablePath is the system's chromium).
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { packageRoot } from "../cli/paths.js";

export const CHROMIUM = "/usr/bin/chromium";
export const artifacts = join(packageRoot, "test-artifacts", "web");

export async function launchChromium() {
  const { chromium } = await import("playwright-core");
  const profile = mkdtempSync(join(tmpdir(), "recall-chromium-"));
  mkdirSync(artifacts, { recursive: true });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, timeout: 60_000, viewport: { width: 1280, height: 800 },
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
  });
  return {
    context,
    close: async () => { await context.close().catch(() => undefined); rmSync(profile, { recursive: true, force: true }); },
  };
}
