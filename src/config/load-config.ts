import path from 'node:path';
import { EnvSchema } from './schema.js';
import type { Config } from './config.js';

/** Thrown when the environment is invalid; `problems` lists every issue, one line each. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Parses the environment once into a frozen Config. Empty strings count as unset, so
 * `FOO=` in a compose file falls back to the default instead of failing.
 * @throws ConfigError listing every problem, not just the first.
 */
export function loadConfig(env: NodeJS.ProcessEnv, cwd = process.cwd()): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = EnvSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.') || '(environment)'}: ${i.message}`));
  }
  const e = parsed.data;
  const publicUrl = (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, '');
  const problems: string[] = [];
  const u = new URL(publicUrl);
  // SSF §7.1: the issuer built from PUBLIC_URL must carry no query or fragment.
  if (u.search || u.hash) problems.push('PUBLIC_URL: must not contain a query or fragment');
  if (problems.length) throw new ConfigError(problems);

  const dataDir = path.resolve(cwd, e.DATA_DIR);
  const config: Config = {
    port: e.PORT,
    host: e.HOST,
    publicUrl,
    dataDir,
    storage: e.MONGODB_URI
      ? { kind: 'mongodb', uri: e.MONGODB_URI }
      : { kind: 'sqlite', path: path.join(dataDir, 'riskwire.db'), synchronous: e.RISKWIRE_SQLITE_SYNCHRONOUS },
    masterKey: e.RISKWIRE_MASTER_KEY,
    bootstrap:
      e.RISKWIRE_BOOTSTRAP_ACCOUNT && e.RISKWIRE_BOOTSTRAP_TOKEN
        ? { accountId: e.RISKWIRE_BOOTSTRAP_ACCOUNT, token: e.RISKWIRE_BOOTSTRAP_TOKEN }
        : undefined,
    allowPrivateNetwork: e.RISKWIRE_ALLOW_PRIVATE_NETWORK,
    streamsDir: e.RISKWIRE_STREAMS_DIR ? path.resolve(cwd, e.RISKWIRE_STREAMS_DIR) : undefined,
    sourcesDir: e.RISKWIRE_SOURCES_DIR ? path.resolve(cwd, e.RISKWIRE_SOURCES_DIR) : undefined,
    http: { bodyLimitBytes: e.RISKWIRE_BODY_LIMIT, shutdownGraceMs: e.RISKWIRE_SHUTDOWN_GRACE_MS },
    log: { level: e.LOG_LEVEL, format: e.LOG_FORMAT },
    risk: { recoveryAgeMs: e.RISKWIRE_RISK_RECOVERY_AGE_SECONDS * 1000, batchWaitMs: e.RISKWIRE_SCORING_BATCH_WAIT_MS },
    ssf: {
      keyPrepublishSeconds: e.RISKWIRE_SSF_KEY_PREPUBLISH_SECONDS,
      keyRetentionSeconds: e.RISKWIRE_SSF_KEY_RETENTION_SECONDS,
      accessTokenTtlSeconds: e.RISKWIRE_SSF_ACCESS_TOKEN_TTL_SECONDS,
      longPollSeconds: e.RISKWIRE_SSF_LONG_POLL_SECONDS,
      minVerificationIntervalSeconds: e.RISKWIRE_SSF_MIN_VERIFICATION_INTERVAL_SECONDS,
    },
    push: {
      timeoutMs: e.RISKWIRE_PUSH_TIMEOUT_MS,
      maxAttempts: e.RISKWIRE_PUSH_MAX_ATTEMPTS,
      maxAgeSeconds: e.RISKWIRE_PUSH_MAX_AGE_SECONDS,
      backoffBaseMs: e.RISKWIRE_PUSH_BACKOFF_BASE_MS,
      backoffMaxMs: e.RISKWIRE_PUSH_BACKOFF_MAX_MS,
      concurrency: e.RISKWIRE_PUSH_CONCURRENCY,
      leaseMs: e.RISKWIRE_PUSH_LEASE_MS ?? e.RISKWIRE_PUSH_TIMEOUT_MS * 2 + 5000,
    },
  };
  return deepFreeze(config);
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
