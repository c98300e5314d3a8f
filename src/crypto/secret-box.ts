import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Encrypts secrets at rest (receiver client secrets, source secrets, signing keys) with
 * AES-256-GCM under the master key. Output: `v1.<iv>.<tag>.<ciphertext>` in base64url, so a
 * later key or algorithm change can be told apart. `context` is bound as additional
 * authenticated data: a ciphertext copied to another record (another account) fails to open.
 */
export interface SecretBox {
  seal(plaintext: string | Buffer, context: string): string;
  /** @throws Error when the ciphertext was altered, moved to another context or sealed with another key. */
  open(sealed: string, context: string): Buffer;
}

/** How many opened secrets are remembered (webhook and push secrets are opened on every request). */
const OPENED_CACHE = 512;

/**
 * A SecretBox under `key` (32 bytes). Successful opens are remembered by (context, ciphertext):
 * a hot webhook opens its secret once, not on every delivery. A changed or rotated secret is a
 * new ciphertext, so nothing stale is ever returned; the plaintexts stay in this process's
 * memory, where they are used anyway.
 */
export function createSecretBox(key: Buffer): SecretBox {
  if (key.length !== 32) throw new Error('secret box key must be 32 bytes');
  const opened = new Map<string, Buffer>();
  const box: SecretBox = {
    seal(plaintext, context) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      return ['v1', iv, cipher.getAuthTag(), body].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
    },
    open(sealed, context) {
      const [version, iv, tag, body] = sealed.split('.');
      if (version !== 'v1' || iv === undefined || tag === undefined || body === undefined) {
        throw new Error('not a sealed secret');
      }
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]);
    },
  };
  return {
    seal: box.seal,
    open(sealed, context) {
      const k = `${context}\n${sealed}`;
      let plain = opened.get(k);
      if (!plain) {
        plain = box.open(sealed, context);
        if (opened.size >= OPENED_CACHE) opened.clear();
        opened.set(k, plain);
      }
      return Buffer.from(plain); // a copy: callers may not change what others get
    },
  };
}
