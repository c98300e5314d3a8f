import { createHmac, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A hand-built SSF transmitter for the receiver tests: its own RSA keys, its own JWKS server on
 * loopback, and its own SET signing with node:crypto — none of riskwire's code, so a mistake in
 * riskwire's JWS handling cannot pass both sides. (riskwire's check also ends in OpenSSL through
 * node:crypto; jws-signature.test.ts has jose's WebCrypto sign every accepted algorithm for it.)
 */
export async function handBuiltTransmitter(issuer = 'https://tx.example.test') {
  const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
  const newKey = (kid: string) => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    return { kid, privateKey, jwk: { ...(publicKey.export({ format: 'jwk' }) as object), kid, alg: 'RS256', use: 'sig' } };
  };
  const keys = [newKey('k1')];
  const outsider = newKey('not-published');
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: keys.map((k) => k.jwk) }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const jwksUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;

  /** Signs `claims` (iss/iat/jti filled in unless given) as a compact JWS. */
  const set = (claims: Record<string, unknown>, opts: { kid?: string; key?: KeyObject; typ?: string; alg?: string; header?: Record<string, unknown> } = {}) => {
    const header = { alg: opts.alg ?? 'RS256', typ: opts.typ ?? 'secevent+jwt', kid: opts.kid ?? keys[0]!.kid, ...opts.header };
    const full = { iss: issuer, iat: Math.floor(Date.now() / 1000), jti: randomBytes(12).toString('hex'), ...claims };
    const input = `${b64(header)}.${b64(full)}`;
    if (header.alg === 'none') return `${input}.`;
    if (header.alg === 'HS256') return `${input}.${createHmac('sha256', 'shared').update(input).digest('base64url')}`;
    return `${input}.${sign('RSA-SHA256', Buffer.from(input), opts.key ?? keys.find((k) => k.kid === header.kid)?.privateKey ?? keys[0]!.privateKey).toString('base64url')}`;
  };
  return {
    issuer,
    jwksUri,
    set,
    outsider,
    /** Publishes a new key (rotation) and returns its kid. */
    rotate() {
      const k = newKey(`k${keys.length + 1}`);
      keys.push(k);
      return k.kid;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
