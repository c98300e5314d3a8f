import fs from 'node:fs';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { resolveMasterKey } from '../../src/crypto/master-key.js';
import { createSecretBox } from '../../src/crypto/secret-box.js';
import { generateApiToken, safeEqual, sha256Hex } from '../../src/crypto/tokens.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('master key', () => {
  it('accepts 64 hex characters or base64 of 32 bytes from the environment', () => {
    const key = randomBytes(32);
    expect(resolveMasterKey(key.toString('hex'), '/nonexistent').key.equals(key)).toBe(true);
    expect(resolveMasterKey(key.toString('base64'), '/nonexistent').key.equals(key)).toBe(true);
    expect(resolveMasterKey(key.toString('base64url'), '/nonexistent').key.equals(key)).toBe(true);
  });

  it('rejects keys of the wrong size', () => {
    expect(() => resolveMasterKey('abcd', '/nonexistent')).toThrow(/32 bytes/);
    expect(() => resolveMasterKey(randomBytes(16).toString('base64'), '/nonexistent')).toThrow(/32 bytes/);
  });

  it('generates a key file once (mode 0600) and reuses it', () => {
    const { dir, cleanup } = tempDir();
    try {
      const first = resolveMasterKey(undefined, dir);
      expect(first.source).toBe('file-created');
      expect(fs.statSync(path.join(dir, 'master.key')).mode & 0o777).toBe(0o600);
      const second = resolveMasterKey(undefined, dir);
      expect(second.source).toBe('file-existing');
      expect(second.key.equals(first.key)).toBe(true);
    } finally {
      cleanup();
    }
  });
});

describe('secret box', () => {
  const box = createSecretBox(randomBytes(32));

  it('round-trips and never shows the plaintext in the sealed form', () => {
    const sealed = box.seal('client-secret-value', 'acme/receivers/1');
    expect(sealed).not.toContain('client-secret-value');
    expect(box.open(sealed, 'acme/receivers/1').toString()).toBe('client-secret-value');
    expect(box.seal('x', 'c')).not.toBe(box.seal('x', 'c')); // fresh IV each time
  });

  it('refuses a ciphertext moved to another context, altered, or sealed under another key', () => {
    const sealed = box.seal('secret', 'acme/a');
    expect(() => box.open(sealed, 'globex/a')).toThrow();
    const parts = sealed.split('.');
    const body = Buffer.from(parts[3]!, 'base64url');
    body[0] = body[0]! ^ 1;
    expect(() => box.open([parts[0], parts[1], parts[2], body.toString('base64url')].join('.'), 'acme/a')).toThrow();
    expect(() => createSecretBox(randomBytes(32)).open(sealed, 'acme/a')).toThrow();
    expect(() => box.open('garbage', 'acme/a')).toThrow(/not a sealed secret/);
  });

  it('remembers what it opened without weakening the checks: context and ciphertext both have to match again', () => {
    const sealed = box.seal('hot-webhook-secret', 'acme/sources/1/secret');
    const first = box.open(sealed, 'acme/sources/1/secret');
    first.fill(0); // a caller scribbling on its copy changes nothing for the next caller
    expect(box.open(sealed, 'acme/sources/1/secret').toString()).toBe('hot-webhook-secret');
    expect(() => box.open(sealed, 'globex/sources/1/secret')).toThrow();
    const parts = sealed.split('.');
    const tag = Buffer.from(parts[2]!, 'base64url');
    tag[0] = tag[0]! ^ 1;
    expect(() => box.open([parts[0], parts[1], tag.toString('base64url'), parts[3]].join('.'), 'acme/sources/1/secret')).toThrow();
  });
});

describe('API token material', () => {
  it('has the rw_ prefix and 256 bits of randomness', () => {
    const t = generateApiToken();
    expect(t).toMatch(/^rw_[A-Za-z0-9_-]{43}$/);
    expect(generateApiToken()).not.toBe(t);
  });

  it('hashes with SHA-256 (checked against an independent computation)', () => {
    expect(sha256Hex('rw_abc')).toBe(createHash('sha256').update(Buffer.from('rw_abc')).digest('hex'));
  });

  it('compares equal and unequal strings, including different lengths', () => {
    expect(safeEqual('abc', 'abc')).toBe(true);
    expect(safeEqual('abc', 'abd')).toBe(false);
    expect(safeEqual('abc', 'abcd')).toBe(false);
  });
});
