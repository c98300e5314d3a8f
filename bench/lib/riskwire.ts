import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/index.js';
import { startApp } from '../../src/app.js';
import { createLogger } from '../../src/observability/logger.js';

export interface BenchRiskwire {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  /** The bootstrap account id ("bench"). */
  readonly accountId: string;
  /** Its bootstrap token (every scope). */
  readonly token: string;
  /** `{url}/client/v4/accounts/{accountId}` */
  readonly accountUrl: string;
  /** Headers for JSON calls with the bootstrap token. */
  readonly headers: Record<string, string>;
  /** Stops the app and deletes its temp DATA_DIR. */
  close(): Promise<void>;
}

/**
 * Starts the real riskwire app in this process on 127.0.0.1 and an ephemeral port, on embedded
 * SQLite in a fresh temp DATA_DIR, with a bootstrap account "bench". The logger is silent:
 * request logging is one JSON line per request at info, which would measure the terminal
 * rather than the service.
 */
export async function startRiskwire(): Promise<BenchRiskwire> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'riskwire-bench-'));
  const accountId = 'bench';
  const token = `bench_${randomBytes(24).toString('hex')}`;
  try {
    const config = loadConfig({
      DATA_DIR: dataDir,
      PORT: '0',
      HOST: '127.0.0.1',
      RISKWIRE_MASTER_KEY: randomBytes(32).toString('hex'),
      RISKWIRE_BOOTSTRAP_ACCOUNT: accountId,
      RISKWIRE_BOOTSTRAP_TOKEN: token,
      LOG_LEVEL: 'warn',
    });
    const app = await startApp(config, { logger: createLogger({ level: 'warn', format: 'json', silent: true }) });
    return {
      url: app.url,
      accountId,
      token,
      accountUrl: `${app.url}/client/v4/accounts/${accountId}`,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      close: async () => {
        try {
          await app.close();
        } finally {
          await rm(dataDir, { recursive: true, force: true });
        }
      },
    };
  } catch (err) {
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
}

/**
 * One JSON call to the running app (set-up steps, not measured). Returns the parsed body.
 * @throws with status and body when the answer is not 2xx.
 */
export async function callJson(app: BenchRiskwire, method: string, pathUnderAccount: string, body?: unknown): Promise<unknown> {
  const init: RequestInit = { method, headers: app.headers };
  if (body !== undefined) init.body = JSON.stringify(body);
  const res = await fetch(`${app.accountUrl}${pathUnderAccount}`, init);
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${pathUnderAccount} → ${res.status}: ${text.slice(0, 500)}`);
  return text ? (JSON.parse(text) as unknown) : undefined;
}
