import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

/** Outcome of resolving the master key, so the caller can warn about a generated one. */
export interface MasterKey {
  readonly key: Buffer;
  /** Where it came from: the environment, or a file in DATA_DIR (created now or earlier). */
  readonly source: 'env' | 'file-created' | 'file-existing';
  readonly file?: string;
}

const KEY_FILE = 'master.key';

/**
 * Resolves the 32-byte key that encrypts secrets at rest. RISKWIRE_MASTER_KEY wins (64 hex
 * characters or base64 of 32 bytes). Without it, a key is generated once into
 * `DATA_DIR/master.key` (mode 0600) — a dev-only convenience the caller must warn about loudly.
 * @throws Error naming the variable when the given key is not 32 bytes.
 */
export function resolveMasterKey(given: string | undefined, dataDir: string): MasterKey {
  if (given !== undefined) return { key: decodeKey(given, 'RISKWIRE_MASTER_KEY'), source: 'env' };
  const file = path.join(dataDir, KEY_FILE);
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  try {
    // 'wx' fails if the file exists: the server and the CLI starting together agree on one key.
    fs.writeFileSync(file, randomBytes(32).toString('hex') + '\n', { flag: 'wx', mode: 0o600 });
    return { key: readKeyFile(file), source: 'file-created', file };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return { key: readKeyFile(file), source: 'file-existing', file };
  }
}

function readKeyFile(file: string): Buffer {
  return decodeKey(fs.readFileSync(file, 'utf8').trim(), file);
}

function decodeKey(text: string, where: string): Buffer {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return Buffer.from(t, 'hex');
  // 32 bytes in base64 or base64url: 43 characters plus optional padding.
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(t)) return Buffer.from(t.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  throw new Error(`${where}: the master key must be 32 bytes, as 64 hex characters or base64`);
}
