import { randomBytes } from 'node:crypto';
import { loadConfig } from '../../src/config/index.js';
import { startApp, type RunningApp } from '../../src/app.js';
import { createLogger } from '../../src/observability/logger.js';
import { tempDir } from './temp-dir.js';

export interface TestApp {
  readonly app: RunningApp;
  readonly url: string;
  readonly accountId: string;
  /** The bootstrap token: every operator scope on `accountId`. */
  readonly token: string;
  readonly dataDir: string;
  /** The RISKWIRE_MASTER_KEY the app runs with (a CLI on the same store needs it). */
  readonly masterKey: string;
  close(): Promise<void>;
}

/**
 * The real app on 127.0.0.1 with an ephemeral port, a fresh DATA_DIR, a bootstrap account and
 * token. `env` overrides any variable.
 */
export async function startTestApp(env: Record<string, string> = {}, opts: { now?: () => Date } = {}): Promise<TestApp> {
  const { dir, cleanup } = tempDir();
  const accountId = 'acme';
  const token = `bootstrap-${randomBytes(24).toString('hex')}`;
  const masterKey = env.RISKWIRE_MASTER_KEY ?? randomBytes(32).toString('hex');
  const config = loadConfig({
    DATA_DIR: dir,
    PORT: '0',
    HOST: '127.0.0.1',
    RISKWIRE_MASTER_KEY: masterKey,
    RISKWIRE_BOOTSTRAP_ACCOUNT: accountId,
    RISKWIRE_BOOTSTRAP_TOKEN: token,
    LOG_LEVEL: 'error',
    ...env,
  });
  const app = await startApp(config, { logger: createLogger({ level: 'error', format: 'json', silent: true }), ...(opts.now ? { now: opts.now } : {}) });
  return {
    app,
    url: app.url,
    accountId,
    token,
    dataDir: dir,
    masterKey,
    async close() {
      await app.close();
      cleanup();
    },
  };
}

/** fetch with a bearer token and JSON body helpers; returns status, headers and parsed body. */
export async function call(
  url: string,
  opts: { method?: string; token?: string; json?: unknown; body?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Headers; body: any; text: string }> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body = opts.body;
  if (opts.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(opts.json);
  }
  const res = await fetch(url, { method: opts.method ?? 'GET', headers, body });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}
