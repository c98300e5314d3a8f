import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { CompactSign, createLocalJWKSet, decodeProtectedHeader, errors, exportJWK, generateKeyPair, type JWK } from 'jose';
import { verifyJwsSignature } from '../../src/receiver/jws-signature.js';

/**
 * The receiver checks SET signatures on node:crypto; these SETs are signed by jose (WebCrypto), a
 * different implementation, for every algorithm the receiver accepts.
 */
const payload = { iss: 'https://tx.example.test', jti: 'j1', events: {} };
const encoded = new TextEncoder().encode(JSON.stringify(payload));

async function keyFor(alg: string, kid: string) {
  const { privateKey, publicKey } = await generateKeyPair(alg, alg === 'EdDSA' ? { crv: 'Ed25519' } : {});
  return { privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg } as JWK };
}
const signed = (alg: string, kid: string, key: Parameters<CompactSign['sign']>[0], extra: Record<string, unknown> = {}) =>
  new CompactSign(encoded).setProtectedHeader({ alg, kid, typ: 'secevent+jwt', ...extra }).sign(key);
/** The header decoded from the first part alone, so malformed tokens reach the check under test. */
const headerOf = (jws: string) => JSON.parse(Buffer.from(jws.split('.')[0]!, 'base64url').toString('utf8')) as { alg?: string };
const verifyWith = (jws: string, jwks: JWK[]) => verifyJwsSignature(jws, headerOf(jws), createLocalJWKSet({ keys: jwks }));
/** The same token with one bit of its signature flipped. */
const flipped = (jws: string) => {
  const i = jws.lastIndexOf('.');
  const sig = Buffer.from(jws.slice(i + 1), 'base64url');
  sig[sig.length >> 1]! ^= 1;
  return `${jws.slice(0, i)}.${sig.toString('base64url')}`;
};

describe.each(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'])('SET signatures: %s', (alg) => {
  let key: Awaited<ReturnType<typeof keyFor>>;
  beforeAll(async () => {
    key = await keyFor(alg, 'k1');
  });

  it('a SET jose signed verifies and yields its payload', async () => {
    const out = await verifyWith(await signed(alg, 'k1', key.privateKey), [key.jwk]);
    expect(JSON.parse(out.toString('utf8'))).toEqual(payload);
  });

  it('one flipped bit of the signature fails verification', async () => {
    await expect(verifyWith(flipped(await signed(alg, 'k1', key.privateKey)), [key.jwk])).rejects.toBeInstanceOf(errors.JWSSignatureVerificationFailed);
  });

  it('a payload swapped under a valid signature fails verification', async () => {
    const [h, , s] = (await signed(alg, 'k1', key.privateKey)).split('.');
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...payload, jti: 'j2' })).toString('base64url')}.${s}`;
    await expect(verifyWith(forged, [key.jwk])).rejects.toBeInstanceOf(errors.JWSSignatureVerificationFailed);
  });
});

describe('SET signatures: keys and algorithms that do not fit', () => {
  it('a PS256 signature presented as RS256 (same RSA key) fails', async () => {
    const { privateKey, jwk } = await keyFor('PS256', 'k1');
    const ps = await signed('PS256', 'k1', privateKey);
    const [, p, s] = ps.split('.');
    const asRs = `${Buffer.from(JSON.stringify({ alg: 'RS256', kid: 'k1', typ: 'secevent+jwt' })).toString('base64url')}.${p}.${s}`;
    await expect(verifyWith(asRs, [{ ...jwk, alg: 'RS256' }])).rejects.toBeInstanceOf(errors.JWSSignatureVerificationFailed);
  });

  it('an RS256 header naming an EC key finds no key (jose selects by kty)', async () => {
    const ec = await keyFor('ES256', 'k1');
    const rsa = await keyFor('RS256', 'k1');
    await expect(verifyWith(await signed('RS256', 'k1', rsa.privateKey), [{ ...ec.jwk, alg: undefined }])).rejects.toBeInstanceOf(errors.JWKSNoMatchingKey);
  });

  it('an ES256 header naming a P-384 key finds no key (RFC 7518 §3.4: one curve per alg)', async () => {
    const p384 = await keyFor('ES384', 'k1');
    const p256 = await keyFor('ES256', 'k1');
    await expect(verifyWith(await signed('ES256', 'k1', p256.privateKey), [{ ...p384.jwk, alg: undefined }])).rejects.toBeInstanceOf(errors.JWKSNoMatchingKey);
  });

  it('an RSA key under 2048 bits is refused even with a valid signature', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const header = Buffer.from(JSON.stringify({ alg: 'RS256', kid: 'small', typ: 'secevent+jwt' })).toString('base64url');
    const input = `${header}.${Buffer.from(encoded).toString('base64url')}`;
    const jws = `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
    const jwk = { ...(publicKey as KeyObject).export({ format: 'jwk' }), kid: 'small', alg: 'RS256' } as JWK;
    await expect(verifyWith(jws, [jwk])).rejects.toThrow(/2048/);
  });

  it('an ECDSA signature in DER instead of R ‖ S fails (RFC 7518 §3.4)', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const header = Buffer.from(JSON.stringify({ alg: 'ES256', kid: 'e', typ: 'secevent+jwt' })).toString('base64url');
    const input = `${header}.${Buffer.from(encoded).toString('base64url')}`;
    const der = sign('sha256', Buffer.from(input), privateKey).toString('base64url');
    const p1363 = sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url');
    const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'e', alg: 'ES256' } as JWK;
    await expect(verifyWith(`${input}.${der}`, [jwk])).rejects.toBeInstanceOf(errors.JWSSignatureVerificationFailed);
    expect(JSON.parse((await verifyWith(`${input}.${p1363}`, [jwk])).toString('utf8'))).toEqual(payload);
  });

  it('alg none, HMAC and unknown algorithms are refused before any key is looked up', async () => {
    const keys = () => {
      throw new Error('no key lookup expected');
    };
    for (const alg of ['none', 'HS256', 'RS1', 'constructor']) {
      await expect(verifyJwsSignature('e30.e30.', { alg }, keys as never)).rejects.toBeInstanceOf(errors.JOSEAlgNotAllowed);
    }
  });

  it('parts that are not base64url are refused as malformed, not decoded leniently', async () => {
    const { privateKey, jwk } = await keyFor('RS256', 'k1');
    const [h, p, s] = (await signed('RS256', 'k1', privateKey)).split('.');
    for (const bad of [`${h}.${p}!.${s}`, `${h}.${p}.${s}=`, `${h}.${p!.replace(/-/g, '+')}+.${s}`, `${h}.${p}`, `${h}.${p}.${s}.${s}`]) {
      await expect(verifyWith(bad, [jwk])).rejects.toBeInstanceOf(errors.JWSInvalid);
    }
  });

  it('a part of 4n+1 characters (no whole byte in its last character) is refused, as jose refuses it', async () => {
    const { privateKey, jwk } = await keyFor('ES384', 'k1');
    const jws = await signed('ES384', 'k1', privateKey);
    await expect(verifyWith(jws, [jwk])).resolves.toBeInstanceOf(Buffer);
    // An ES384 signature is 96 bytes, 128 characters: one more makes 4n+1, which a lenient decoder drops.
    await expect(verifyWith(`${jws}A`, [jwk])).rejects.toBeInstanceOf(errors.JWSInvalid);
  });

  it('any crit header is refused (RFC 7515 §4.1.11: no extension, b64 included, is understood)', async () => {
    const { privateKey, jwk } = await keyFor('RS256', 'k1');
    const jws = await new CompactSign(encoded).setProtectedHeader({ alg: 'RS256', kid: 'k1', typ: 'secevent+jwt', crit: ['b64'], b64: true }).sign(privateKey);
    await expect(verifyWith(jws, [jwk])).rejects.toBeInstanceOf(errors.JWSInvalid);
  });

  it('a key of the wrong type or curve for the alg is refused even when the key set hands it over', async () => {
    const rsa = await keyFor('RS256', 'k1');
    const p384 = await keyFor('ES384', 'k1');
    const p256 = await keyFor('ES256', 'k1');
    const es256 = await signed('ES256', 'k1', p256.privateKey);
    // A key set that does not filter by kty or crv, unlike jose's: the check must not rely on it.
    const handing = (jwk: JWK) => (async () => createLocalJWKSet({ keys: [jwk] })({ alg: jwk.alg as string, kid: 'k1' }, undefined as never)) as never;
    await expect(verifyJwsSignature(es256, decodeProtectedHeader(es256), handing(rsa.jwk))).rejects.toThrow(/does not fit alg ES256/);
    const rs256 = await signed('RS256', 'k1', rsa.privateKey);
    await expect(verifyJwsSignature(rs256, decodeProtectedHeader(rs256), handing({ ...p256.jwk, alg: 'ES256' }))).rejects.toThrow(/the key does not fit alg RS256/);
    await expect(verifyJwsSignature(es256, decodeProtectedHeader(es256), handing(p384.jwk))).rejects.toThrow(/curve does not fit alg ES256/);
  });

  it('RSA keys that would make each check slow are refused before any arithmetic: over 8192 bits, or an exponent of 2^32 or more', async () => {
    const { privateKey, jwk } = await keyFor('RS256', 'k1');
    const jws = await signed('RS256', 'k1', privateKey);
    const bigExponent = { ...jwk, e: Buffer.concat([Buffer.from([1]), Buffer.alloc(7), Buffer.from([1])]).toString('base64url') };
    await expect(verifyWith(jws, [bigExponent])).rejects.toThrow(/exponent/);
    const n = Buffer.alloc(8200 / 8, 0xff);
    await expect(verifyWith(jws, [{ ...jwk, n: n.toString('base64url') }])).rejects.toThrow(/8192 bits/);
  });

  it('a private key published in the JWKS is refused by jose', async () => {
    const { privateKey } = await generateKeyPair('RS256', { extractable: true });
    const jwk = { ...(await exportJWK(privateKey)), kid: 'k1', alg: 'RS256' } as JWK;
    await expect(verifyWith(await signed('RS256', 'k1', privateKey), [jwk])).rejects.toBeInstanceOf(errors.JWKSInvalid);
  });
});
