import { constants, KeyObject, verify, type VerifyKeyObjectInput } from 'node:crypto';
import { errors as joseErrors, type JWTVerifyGetKey } from 'jose';

/**
 * The signature check of a pushed or polled SET (RFC 7515 §5.2 steps 8–9), done synchronously on
 * node:crypto with the key jose selects from the transmitter's JWKS.
 *
 * Why not jose's `compactVerify`: jose 6 verifies through WebCrypto, which hands each
 * verification to the libuv thread pool and back — about 95 µs of CPU per RS256 SET on this
 * class of machine against 25 µs for the same OpenSSL check made in place, and a round trip of
 * latency on every push (docs/benchmarks.md, receive, session 7). jose still does everything
 * around the arithmetic: the header is decoded with `decodeProtectedHeader`, and the key comes
 * from `createLocalJWKSet` — its rules for kid, kty, alg, use, key_ops and curve, its refusal of
 * private and secret keys, and its import cache — so only the last step is ours.
 */

type Check = {
  /** node:crypto digest (null for EdDSA, which hashes internally). */
  readonly digest: string | null;
  readonly keyType: ReadonlyArray<string>;
  /** ECDSA curves by node's name for them (RFC 7518 §3.4 ties each ES alg to one curve). */
  readonly curve?: string;
  readonly options?: Omit<VerifyKeyObjectInput, 'key'>;
};

const pss = (digest: string): Check => ({
  digest,
  keyType: ['rsa', 'rsa-pss'],
  // RFC 7518 §3.5: MGF1 with the same hash, salt as long as the hash.
  options: { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST },
});
// RFC 7518 §3.4: the ECDSA signature is R ‖ S, not DER.
const ecdsa = (digest: string, curve: string): Check => ({ digest, keyType: ['ec'], curve, options: { dsaEncoding: 'ieee-p1363' } });

/** The accepted algorithms (asymmetric only: SSF §4.1.4, CAEP interop §2.6). */
export const SET_ALGORITHMS: Readonly<Record<string, Check>> = {
  RS256: { digest: 'sha256', keyType: ['rsa'] },
  RS384: { digest: 'sha384', keyType: ['rsa'] },
  RS512: { digest: 'sha512', keyType: ['rsa'] },
  PS256: pss('sha256'),
  PS384: pss('sha384'),
  PS512: pss('sha512'),
  ES256: ecdsa('sha256', 'prime256v1'),
  ES384: ecdsa('sha384', 'secp384r1'),
  ES512: ecdsa('sha512', 'secp521r1'),
  EdDSA: { digest: null, keyType: ['ed25519', 'ed448'] },
};

/** RFC 7518 §3.3 and §3.5: RSA keys of at least 2048 bits (jose refuses smaller ones too). */
const MIN_RSA_BITS = 2048;
/**
 * The check runs on the event loop, and its cost grows with the key: a transmitter's JWKS could
 * publish a huge modulus or exponent (a 2048-bit exponent makes one check ~60× slower) and make
 * every forged SET naming it stall the whole server. Real signing keys use e = 65537 and at most
 * 8192 bits.
 */
const MAX_RSA_BITS = 8192;
const MAX_RSA_EXPONENT = 2n ** 32n;
/** RFC 7515 §2 base64url without padding; a length of 4n+1 characters encodes no whole byte (jose refuses it too). */
const isBase64url = (part: string) => /^[A-Za-z0-9_-]*$/.test(part) && part.length % 4 !== 1;

const keyObjects = new WeakMap<object, KeyObject>();

/**
 * Verifies `jws` (compact serialization; `header` its decoded protected header) and returns its
 * payload bytes. Throws jose's own errors, so callers tell an unknown key (`JWKSNoMatchingKey`)
 * from a bad signature (`JWSSignatureVerificationFailed`) as before.
 */
export async function verifyJwsSignature(jws: string, header: { alg?: unknown; crit?: unknown }, keys: JWTVerifyGetKey): Promise<Buffer> {
  const check = typeof header.alg === 'string' && Object.hasOwn(SET_ALGORITHMS, header.alg) ? SET_ALGORITHMS[header.alg]! : undefined;
  if (!check) throw new joseErrors.JOSEAlgNotAllowed(`alg ${String(header.alg)} is not accepted`);
  // RFC 7515 §4.1.11: no extension is understood here (b64 included, RFC 7797 §6), so any crit is refused.
  if (header.crit !== undefined) throw new joseErrors.JWSInvalid('crit names JWS extensions that are not supported');
  const parts = jws.split('.');
  if (parts.length !== 3 || !parts.every(isBase64url)) throw new joseErrors.JWSInvalid('not a compact JWS of three base64url parts');
  const [, payload, signature] = parts as [string, string, string];
  const last = jws.lastIndexOf('.');

  const selected = await keys(header as never, undefined as never);
  const key = keyObject(selected);
  if (key.type !== 'public' || !check.keyType.includes(key.asymmetricKeyType ?? '')) throw new joseErrors.JOSENotSupported(`the key does not fit alg ${String(header.alg)}`);
  const details = key.asymmetricKeyDetails ?? {};
  if (check.keyType.includes('rsa')) {
    const bits = details.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) throw new joseErrors.JOSENotSupported(`${String(header.alg)} requires a key of ${MIN_RSA_BITS} bits or more`);
    if (bits > MAX_RSA_BITS || (details.publicExponent ?? MAX_RSA_EXPONENT) >= MAX_RSA_EXPONENT) throw new joseErrors.JOSENotSupported(`RSA keys of more than ${MAX_RSA_BITS} bits or with a public exponent of 2^32 or more are not accepted`);
  }
  if (check.curve && details.namedCurve !== check.curve) throw new joseErrors.JOSENotSupported(`the key's curve does not fit alg ${String(header.alg)}`);

  const input: VerifyKeyObjectInput | KeyObject = check.options ? { key, ...check.options } : key;
  let ok = false;
  try {
    ok = verify(check.digest, Buffer.from(jws.slice(0, last), 'ascii'), input, Buffer.from(signature, 'base64url'));
  } catch (cause) {
    throw new joseErrors.JWSSignatureVerificationFailed(undefined, { cause });
  }
  if (!ok) throw new joseErrors.JWSSignatureVerificationFailed();
  return Buffer.from(payload, 'base64url');
}

/** jose hands back a WebCrypto CryptoKey (or, in other setups, a KeyObject); node:crypto wants a KeyObject. */
function keyObject(selected: unknown): KeyObject {
  if (selected instanceof KeyObject) return selected;
  if (!selected || typeof selected !== 'object' || !('type' in selected) || !('algorithm' in selected)) throw new joseErrors.JOSENotSupported('the JWKS did not yield a usable key');
  let k = keyObjects.get(selected);
  if (!k) {
    k = KeyObject.from(selected as Parameters<typeof KeyObject.from>[0]);
    keyObjects.set(selected, k);
  }
  return k;
}
