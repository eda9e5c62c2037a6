/** Where the package's own files are, wherever the command is run from. */
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { readFileSync } from "node:fs";

/** The package root: dist/interfaces/cli/ is three levels below it. */
export const packageRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
export const sampleConfigDir = join(packageRoot, "infra", "sample-config");
export const version: string = JSON.parse(readFileSync(join(packageRoot, "package.json"), "utf8")).version;
