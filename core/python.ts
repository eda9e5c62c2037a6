import { existsSync } from "node:fs";

/**
 * The python3 that apt's packages (python3-panoramisk, python3-websockets) install into:
 * Debian's own, not whatever a version manager's shim puts first on PATH.
 */
export const python3 = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
