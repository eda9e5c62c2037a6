/**
 * Stateless nonces: `<issue time>.<salt>.<mac>`, where the MAC is an HMAC-SHA256 of
 * the time, salt and realm under a server secret. Any node holding the secret can
 * tell a nonce it issued from a forged one and how old it is, without storing it.
 * Time and the salt come from the caller (injected Clock and Random).
 */
import { createHmac, timingSafeEqual } from "node:crypto";

/** Asterisk's default `nonce_lifetime`. */
export const DEFAULT_NONCE_LIFETIME_SECONDS = 32;

/** How far in the future an issue time may be (clock skew between nodes) before the nonce is refused. */
const MAX_FUTURE_SECONDS = 5;
const MAC_HEX = 32;

function mac(secret: string | Buffer, time: string, salt: string, realm: string): string {
  return createHmac("sha256", secret).update(`${time}.${salt}.${realm}`, "latin1").digest("hex").slice(0, MAC_HEX);
}

/**
 * A nonce issued at `nowMicros` (the injected clock) for `realm`. `salt` should be a
 * few random hex digits (e.g. randomHex(random, 8)) so that nonces of the same second differ.
 */
export function createNonce(secret: string | Buffer, nowMicros: number, salt: string, realm = ""): string {
  if (!/^[0-9a-zA-Z]*$/.test(salt)) throw new TypeError("nonce salt must be alphanumeric");
  const time = Math.floor(nowMicros / 1_000_000).toString(16);
  return `${time}.${salt}.${mac(secret, time, salt, realm)}`;
}

export type NonceStatus = "valid" | "stale" | "invalid";

/** Whether `nonce` was issued by the holder of `secret` for `realm`, and whether it is still fresh. */
export function checkNonce(secret: string | Buffer, nonce: string, nowMicros: number, realm = "", lifetimeSeconds = DEFAULT_NONCE_LIFETIME_SECONDS): NonceStatus {
  const parts = nonce.split(".");
  if (parts.length !== 3) return "invalid";
  const [time, salt, given] = parts;
  if (!/^[0-9a-f]{1,12}$/.test(time) || !/^[0-9a-zA-Z]*$/.test(salt) || given.length !== MAC_HEX) return "invalid";
  const expected = mac(secret, time, salt, realm);
  if (!timingSafeEqual(Buffer.from(expected, "latin1"), Buffer.from(given, "latin1"))) return "invalid";
  const age = Math.floor(nowMicros / 1_000_000) - parseInt(time, 16);
  if (age < -MAX_FUTURE_SECONDS) return "invalid";
  return age > lifetimeSeconds ? "stale" : "valid";
}

/** The issue time of a nonce made by createNonce, in microseconds (undefined if it is not one). */
export function nonceIssuedAt(nonce: string): number | undefined {
  const time = nonce.split(".")[0];
  return /^[0-9a-f]{1,12}$/.test(time) ? parseInt(time, 16) * 1_000_000 : undefined;
}
