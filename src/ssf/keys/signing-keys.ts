import { createPrivateKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { exportJWK, calculateJwkThumbprint, type JWK } from 'jose';
import type { Clock } from '../../domain/clock.js';
import type { SecretBox } from '../../crypto/secret-box.js';
import type { SigningKey } from '../../storage/ssf-ports.js';
import type { Storage } from '../../storage/ports.js';

const generate = promisify(generateKeyPair);

/** The key that signs now, ready to use. */
export interface ActiveKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
}

export interface SigningKeyService {
  /** The key that signs for the account now; creates the first key on first need. */
  active(accountId: string): Promise<ActiveKey>;
  /** The account's published keys (RFC 7517 JWK Set): current, pre-published and recently retired. */
  jwks(accountId: string): Promise<{ keys: JWK[] }>;
  /** Creates a successor: published at once, signing after the pre-publication delay. */
  rotate(accountId: string): Promise<{ kid: string; activatesAt: Date }>;
}

/**
 * Per-account RS256 keys (CAEP interop §2.6: RS256, ≥ 2048 bits), private halves sealed with the
 * master key. Rotation pre-publishes: the new key is in the JWKS `prepublishMs` before it signs,
 * so receivers caching the JWKS already know it; the old key keeps signing until then and stays
 * published `retentionMs` after its last use, so SETs still in flight verify.
 */
export function signingKeyService(deps: { storage: Storage; secrets: SecretBox; now: Clock; prepublishMs: number; retentionMs: number }): SigningKeyService {
  const cache = new Map<string, { at: number; keys: SigningKey[] }>();
  const privateKeys = new Map<string, KeyObject>();
  const creating = new Map<string, Promise<SigningKey>>();
  /** How long a process trusts its copy of the key list (another instance may rotate). */
  const TTL_MS = 10_000;

  const load = async (accountId: string, fresh = false) => {
    const hit = cache.get(accountId);
    const t = deps.now().getTime();
    if (!fresh && hit && t - hit.at < TTL_MS) return hit.keys;
    const keys = await deps.storage.signingKeys.list(accountId);
    cache.set(accountId, { at: t, keys });
    return keys;
  };
  const context = (accountId: string, kid: string) => `${accountId}/signing-keys/${kid}`;
  const create = async (accountId: string, activatesAt: Date): Promise<SigningKey> => {
    const { privateKey, publicKey } = await generate('rsa', { modulusLength: 2048 });
    const jwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(jwk);
    const key: SigningKey = {
      accountId, kid, alg: 'RS256', publicJwk: { ...jwk, kid, alg: 'RS256', use: 'sig' },
      privateKeySealed: deps.secrets.seal(privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, context(accountId, kid)),
      createdAt: deps.now(), activatesAt, retiresAt: null,
    };
    await deps.storage.signingKeys.insert(key);
    privateKeys.set(`${accountId}/${kid}`, privateKey);
    return key;
  };
  const signer = (keys: SigningKey[], now: number) =>
    keys.filter((k) => k.activatesAt.getTime() <= now && (!k.retiresAt || k.retiresAt.getTime() > now)).at(-1);

  return {
    async active(accountId) {
      const now = deps.now().getTime();
      let key = signer(await load(accountId), now) ?? signer(await load(accountId, true), now);
      if (!key) {
        // First use: one creation per process at a time; a race between processes yields two valid, published keys.
        let pending = creating.get(accountId);
        if (!pending) {
          pending = create(accountId, deps.now()).finally(() => creating.delete(accountId));
          creating.set(accountId, pending);
        }
        key = await pending;
        await load(accountId, true);
      }
      const id = `${accountId}/${key.kid}`;
      let privateKey = privateKeys.get(id);
      if (!privateKey) {
        privateKey = createPrivateKey(deps.secrets.open(key.privateKeySealed, context(accountId, key.kid)).toString('utf8'));
        privateKeys.set(id, privateKey);
      }
      return { kid: key.kid, privateKey };
    },
    async jwks(accountId) {
      await this.active(accountId); // a JWKS is never empty: the first key exists from the first look
      const now = deps.now().getTime();
      const keys = (await load(accountId)).filter((k) => !k.retiresAt || k.retiresAt.getTime() + deps.retentionMs > now);
      return { keys: keys.map((k) => k.publicJwk) };
    },
    async rotate(accountId) {
      await this.active(accountId);
      const activatesAt = new Date(deps.now().getTime() + deps.prepublishMs);
      const key = await create(accountId, activatesAt);
      // The current key signs until the successor takes over, then counts as retired from then.
      await deps.storage.signingKeys.retireOthers(accountId, key.kid, activatesAt);
      await load(accountId, true);
      return { kid: key.kid, activatesAt };
    },
  };
}
