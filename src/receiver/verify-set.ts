import { decodeProtectedHeader, errors as joseErrors, type JWTVerifyGetKey } from 'jose';
import { ServiceError } from '../domain/errors.js';
import type { Subscription } from '../storage/inbound-ports.js';
import type { JwksCache } from './jwks-cache.js';
import { SET_ALGORITHMS, verifyJwsSignature } from './jws-signature.js';

/** RFC 8935 §2.3 / SSF §11: the `err` codes a push receiver answers with. */
export type SetErr = 'invalid_request' | 'invalid_key' | 'invalid_issuer' | 'invalid_audience' | 'authentication_failed' | 'access_denied' | 'invalid_state';

/** A 400 with an RFC 8935 error code (rendered as {err, description} + Content-Language). */
export const setError = (err: SetErr, description: string) => new ServiceError(400, err, description);

export interface VerifiedSet {
  readonly claims: Record<string, unknown>;
  readonly eventType: string;
  readonly event: Record<string, unknown>;
  /** `sub_id`, else the event's `subject` (Okta and CAEP-ID2 layouts). */
  readonly subject: Record<string, unknown>;
}

/**
 * Validates a pushed SET for a subscription, in the order the receiver issue lays down:
 * parseable JWS with typ secevent+jwt → invalid_request; signature by a key of the transmitter's
 * JWKS (one refresh on unknown kid; none/HMAC refused) → invalid_key; iss → invalid_issuer;
 * aud → invalid_audience; the Authorization header riskwire gave (managed) →
 * authentication_failed; SET rules (no exp/sub, one event, a subject) → invalid_request.
 */
export async function verifySet(
  jws: string,
  sub: Subscription,
  deps: { jwks: JwksCache; authorization: string | undefined; expectedAuthorization: string | null; safeEqual: (a: string, b: string) => boolean },
): Promise<VerifiedSet> {
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    if (jws.split('.').length !== 3) throw new Error('not a compact JWS');
    header = decodeProtectedHeader(jws);
  } catch {
    throw setError('invalid_request', 'the body is not a compact JWS');
  }
  // RFC 8417 §2.3: explicit typing; the application/ prefix is tolerated.
  if (header.typ !== 'secevent+jwt' && header.typ !== 'application/secevent+jwt') throw setError('invalid_request', 'typ must be secevent+jwt');
  // Asymmetric algorithms only: `none` and HMAC cannot prove who signed (SSF §4.1.4, CAEP interop §2.6).
  if (typeof header.alg !== 'string' || !Object.hasOwn(SET_ALGORITHMS, header.alg)) throw setError('invalid_key', `alg ${String(header.alg)} is not accepted`);
  // RFC 7515 §4.1.11: a crit extension the recipient does not understand must be refused; SETs use none.
  if (header.crit !== undefined) throw setError('invalid_request', 'crit names JWS extensions riskwire does not support');

  let payload: Uint8Array;
  const attempt = (keys: JWTVerifyGetKey) => verifyJwsSignature(jws, header, keys);
  try {
    const { keys } = await deps.jwks.get(sub.jwksUri);
    try {
      payload = await attempt(keys);
    } catch (err) {
      if (!(err instanceof joseErrors.JWKSNoMatchingKey)) throw err;
      // An unknown kid may be a key the transmitter just rotated in: refresh once.
      payload = await attempt((await deps.jwks.get(sub.jwksUri, String(header.kid ?? ''))).keys);
    }
  } catch (err) {
    if (err instanceof ServiceError) throw err;
    if (err instanceof joseErrors.JWSInvalid) throw setError('invalid_request', 'the body is not a compact JWS');
    if (err instanceof joseErrors.JWKSNoMatchingKey) throw setError('invalid_key', `no key ${header.kid ? `"${String(header.kid)}" ` : ''}in the transmitter's JWKS`);
    if (err instanceof joseErrors.JOSEError) throw setError('invalid_key', 'the signature does not verify');
    throw setError('invalid_key', `the transmitter's JWKS could not be fetched: ${(err as Error).message}`);
  }
  let claims: Record<string, unknown>;
  try {
    claims = JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>;
    if (!claims || typeof claims !== 'object' || Array.isArray(claims)) throw new Error();
  } catch {
    throw setError('invalid_request', 'the payload is not a JSON object');
  }
  // SSF §4.1.6: iss must equal the issuer we subscribed to, exactly.
  if (claims.iss !== sub.issuer) throw setError('invalid_issuer', `iss must be ${sub.issuer}`);
  const aud = claims.aud;
  if (!(aud === sub.audience || (Array.isArray(aud) && aud.includes(sub.audience)))) throw setError('invalid_audience', `aud must contain ${sub.audience}`);
  if (deps.expectedAuthorization !== null && !(deps.authorization && deps.safeEqual(deps.authorization, deps.expectedAuthorization))) {
    throw setError('authentication_failed', 'missing or wrong Authorization header');
  }
  // SSF §4.1.2, §4.1.7: no sub, no exp; RFC 8417: jti and iat; one event (CAEP interop §2.8.1).
  if ('sub' in claims || 'exp' in claims) throw setError('invalid_request', 'a SET must not carry sub or exp');
  if (typeof claims.jti !== 'string' || !claims.jti) throw setError('invalid_request', 'jti is required');
  const events = claims.events;
  if (!events || typeof events !== 'object' || Array.isArray(events) || Object.keys(events).length !== 1) throw setError('invalid_request', 'a SET carries exactly one event');
  const [eventType, event] = Object.entries(events as Record<string, unknown>)[0]!;
  if (!event || typeof event !== 'object' || Array.isArray(event)) throw setError('invalid_request', 'the event payload must be an object');
  const subject = (claims.sub_id ?? (event as Record<string, unknown>).subject) as Record<string, unknown> | undefined;
  if (!subject || typeof subject !== 'object') throw setError('invalid_request', 'sub_id or an event-level subject is required');
  return { claims, eventType, event: event as Record<string, unknown>, subject };
}
