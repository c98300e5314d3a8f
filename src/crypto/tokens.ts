import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Prefix of every API token, so leaked tokens are recognisable by secret scanners. */
export const API_TOKEN_PREFIX = 'rw_';

/** A new API token: `rw_` + 32 random bytes in base64url (256 bits of entropy). */
export function generateApiToken(): string {
  return API_TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

/** A random identifier of `bytes` bytes in hex (default 16 → 32 hex characters). */
export function randomId(bytes = 16): string {
  return randomBytes(bytes).toString('hex');
}

/** Hex SHA-256 of a secret. Tokens have 256 bits of entropy, so an unsalted fast hash is enough. */
export function sha256Hex(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Constant-time string comparison (equal lengths compared in constant time; lengths leak only). */
export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  if (ab.length !== bb.length) {
    timingSafeEqual(ab, ab); // keep timing of the mismatch path close to the match path
    return false;
  }
  return timingSafeEqual(ab, bb);
}
