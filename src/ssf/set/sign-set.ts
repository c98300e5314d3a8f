import { CompactSign } from 'jose';
import type { ActiveKey } from '../keys/signing-keys.js';

const encoder = new TextEncoder();

/**
 * Signs a SET as a compact JWS (RFC 8417 §2.3: `typ` secevent+jwt; CAEP interop §2.6: RS256;
 * `kid` always set so receivers select the key). The claims are serialized as given: callers
 * build them (build-set.ts), so nothing here adds `sub` or `exp` (SSF §4.1.2, §4.1.7).
 */
export async function signSet(claims: Record<string, unknown>, key: ActiveKey): Promise<string> {
  return new CompactSign(encoder.encode(JSON.stringify(claims)))
    .setProtectedHeader({ alg: 'RS256', typ: 'secevent+jwt', kid: key.kid })
    .sign(key.privateKey);
}
