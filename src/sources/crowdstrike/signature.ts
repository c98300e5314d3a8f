import { createHmac } from 'node:crypto';

/*
 * The HMAC of a Falcon Fusion / Store "Webhook" delivery (vendors reference §4.3). CrowdStrike
 * does not publish the recipe; public receivers disagree, so both observed variants are accepted:
 *   - base64(HMAC-SHA256(secret, rawBody ‖ X-Cs-Delivery-Timestamp))  (two independent receivers;
 *     the reference's recommended primary variant)
 *   - hex(HMAC-SHA256(secret, X-Cs-Delivery-Timestamp ‖ rawBody))     (PagerTree's fallback)
 * Each encoding is tied to its own message order, as observed; cross combinations are refused.
 * X-Cs-Signature-Algorithm is not consulted: only HMAC-SHA256 is computed, so a request signed
 * any other way fails the comparison.
 */

/** Upper bound on a delivery timestamp header (an ISO 8601 date with fraction and offset fits). */
const MAX_TIMESTAMP_LENGTH = 40;

/**
 * Reads `X-Cs-Delivery-Timestamp`. Its format is not documented either: epoch seconds (up to 11
 * digits, optionally with a fraction), epoch milliseconds (12-14 digits; the reference's
 * digit-count rule, §4.2) and ISO 8601 with a zone (as in alertchain's test) are accepted.
 * Returns null for anything else.
 */
export function parseDeliveryTimestamp(raw: string): Date | null {
  const v = raw.trim();
  if (!v || v.length > MAX_TIMESTAMP_LENGTH) return null;
  let ms: number;
  if (/^\d{1,11}(\.\d{1,9})?$/.test(v)) ms = Number(v) * 1000;
  else if (/^\d{12,14}$/.test(v)) ms = Number(v);
  else if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})$/i.test(v)) ms = Date.parse(v);
  else return null;
  return Number.isFinite(ms) ? new Date(ms) : null;
}

/**
 * Checks `signature` against the variant its shape names — 64 hex digits: hex over
 * timestamp ‖ body; anything else: base64 over body ‖ timestamp — in constant time. Which HMAC is
 * computed depends only on what the sender wrote, never on the secret, so it tells an attacker
 * nothing; computing one instead of both is half the hashing per delivery. Returns the matching
 * expected value — a canonical string, whatever case a hex signature arrived in — to claim as the
 * replay nonce; null when it does not match.
 */
export function matchFalconSignature(input: {
  secret: string; rawBody: Buffer; timestamp: string; signature: string; safeEqual: (a: string, b: string) => boolean;
}): string | null {
  const ts = Buffer.from(input.timestamp, 'utf8');
  const given = input.signature.trim();
  if (/^[0-9a-f]{64}$/i.test(given)) {
    const hex = createHmac('sha256', input.secret).update(ts).update(input.rawBody).digest('hex');
    return input.safeEqual(given.toLowerCase(), hex) ? `hex:${hex}` : null;
  }
  const base64 = createHmac('sha256', input.secret).update(input.rawBody).update(ts).digest('base64');
  return input.safeEqual(given, base64) ? `base64:${base64}` : null;
}
