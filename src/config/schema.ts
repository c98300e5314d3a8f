import { z } from 'zod';
import { ACCOUNT_ID_PATTERN } from '../domain/account.js';

/** Boolean environment flags: only these spellings are accepted, anything else is a config error. */
const envBoolean = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** Sizes such as `1mb`, `512kb` or a plain byte count. */
const byteSize = z
  .string()
  .regex(/^\d+(b|kb|mb)?$/i, 'must be a byte count such as 1048576, 512kb or 1mb')
  .transform((v) => {
    const m = /^(\d+)(b|kb|mb)?$/i.exec(v)!;
    const unit = (m[2] ?? 'b').toLowerCase();
    return Number(m[1]) * (unit === 'mb' ? 1024 * 1024 : unit === 'kb' ? 1024 : 1);
  });

/**
 * The environment riskwire reads, variable by variable. Every key is documented with its
 * default and why; README.md carries the same table for operators.
 */
export const EnvSchema = z
  .object({
    /** TCP port to listen on. Default 8080. */
    PORT: z.coerce.number().int().min(0).max(65535).default(8080),
    /** Interface to bind. Default all interfaces, as containers expect. */
    HOST: z.string().min(1).default('0.0.0.0'),
    /** Base of every URL the service publishes (SSF issuers, webhook URLs). Default http://localhost:$PORT. */
    PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
    /** Where the embedded store and a generated master key live. Default ./data. */
    DATA_DIR: z.string().min(1).default('./data'),
    /** When set, MongoDB is the store instead of embedded SQLite. */
    MONGODB_URI: z
      .string()
      .regex(/^mongodb(\+srv)?:\/\/.+/, 'must be a mongodb:// or mongodb+srv:// URL')
      .optional(),
    /** SQLite durability: normal (survives process crashes) or full (also power loss; slower). Default normal. */
    RISKWIRE_SQLITE_SYNCHRONOUS: z.enum(['normal', 'full']).default('normal'),
    /** 32-byte key (64 hex chars or base64) that encrypts secrets at rest. Generated into DATA_DIR when absent. */
    RISKWIRE_MASTER_KEY: z.string().min(1).optional(),
    /** Account created at start when absent (first-run path for containers and tests). */
    RISKWIRE_BOOTSTRAP_ACCOUNT: z
      .string()
      .regex(ACCOUNT_ID_PATTERN, 'must match [a-z0-9][a-z0-9_-]{0,63}')
      .optional(),
    /** Token accepted with every scope for the bootstrap account. At least 24 characters. */
    RISKWIRE_BOOTSTRAP_TOKEN: z.string().min(24, 'must be at least 24 characters').optional(),
    /** Allow http:// and loopback/private outbound URLs. Default false; for local use and tests only. */
    RISKWIRE_ALLOW_PRIVATE_NETWORK: envBoolean.default(false),
    /** Largest JSON request body accepted; larger bodies get 413. Default 1mb. */
    RISKWIRE_BODY_LIMIT: byteSize.default(1024 * 1024),
    /** How long shutdown waits for in-flight requests before closing connections. Default 8000 ms (< 10 s). */
    RISKWIRE_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(60000).default(8000),
    /** Seconds a rotated-in signing key is published in the JWKS before it signs. Default 3600. */
    RISKWIRE_SSF_KEY_PREPUBLISH_SECONDS: z.coerce.number().int().min(0).max(30 * 86400).default(3600),
    /** Seconds a retired signing key stays in the JWKS after its last use. Default 86400. */
    RISKWIRE_SSF_KEY_RETENTION_SECONDS: z.coerce.number().int().min(0).max(365 * 86400).default(86400),
    /** Lifetime of receivers' OAuth access tokens, seconds. Default 900 (CAEP interop §2.7: short-lived). */
    RISKWIRE_SSF_ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(10).max(3600).default(900),
    /** Longest a long poll is held before answering with no SETs, seconds. Default 30. */
    RISKWIRE_SSF_LONG_POLL_SECONDS: z.coerce.number().int().min(1).max(120).default(30),
    /** min_verification_interval published on streams and enforced with 429, seconds. Default 10. */
    RISKWIRE_SSF_MIN_VERIFICATION_INTERVAL_SECONDS: z.coerce.number().int().min(0).max(3600).default(10),
    /** Bound on one push attempt (connect to last byte), ms. Default 10000. */
    RISKWIRE_PUSH_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
    /** Push attempts before a SET is dead-lettered. Default 12. */
    RISKWIRE_PUSH_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(1000).default(12),
    /** Age after which an undelivered SET is dead-lettered, seconds. Default 86400. */
    RISKWIRE_PUSH_MAX_AGE_SECONDS: z.coerce.number().int().min(1).max(30 * 86400).default(86_400),
    /** First retry delay (doubles per attempt, with jitter), ms. Default 1000. */
    RISKWIRE_PUSH_BACKOFF_BASE_MS: z.coerce.number().int().min(1).max(600_000).default(1000),
    /** Longest retry delay, ms. Default 300000. */
    RISKWIRE_PUSH_BACKOFF_MAX_MS: z.coerce.number().int().min(1).max(86_400_000).default(300_000),
    /**
     * How long a push worker holds a leased SET before another instance may take it over, ms.
     * Default 2 × RISKWIRE_PUSH_TIMEOUT_MS + 5000: a live worker always finishes (or gives up on)
     * an attempt well inside its lease, so only a dead or frozen instance loses one. Must exceed
     * RISKWIRE_PUSH_TIMEOUT_MS. Shorter leases hand over a dead instance's SETs sooner.
     */
    RISKWIRE_PUSH_LEASE_MS: z.coerce.number().int().min(1000).max(3_600_000).optional(),
    /** Push attempts in flight at once per instance. Default 32. */
    RISKWIRE_PUSH_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(32),
    /**
     * MongoDB: how old an event recorded but not yet applied to its user must be before the
     * recovery pass (of any instance) applies it. Raise it when one request's events can take
     * longer to apply (very large batches on a slow store). Default 10.
     */
    RISKWIRE_RISK_RECOVERY_AGE_SECONDS: z.coerce.number().int().min(1).max(86_400).default(10),
    /**
     * How long scoring that follows an answer (webhook events, pushed SETs) waits for more to join
     * its batch; a full batch (500) starts at once. Longer: fewer, larger batches — less CPU per
     * event under load (each batch has a fixed cost: lookups, a commit, a fan-out pass). Shorter:
     * scored sooner. Default 100.
     */
    RISKWIRE_SCORING_BATCH_WAIT_MS: z.coerce.number().int().min(0).max(1000).default(100),
    /** Folder of declarative stream files (streams/*.json) applied at start. Default: the repository's streams/. */
    RISKWIRE_STREAMS_DIR: z.string().min(1).optional(),
    /** Folder of declarative source files (sources/*.json) applied at start. Default: the repository's sources/. */
    RISKWIRE_SOURCES_DIR: z.string().min(1).optional(),
    /** winston level. Default info. */
    LOG_LEVEL: z.enum(['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly']).default('info'),
    /** json (one object per line, for collectors) or pretty (for a terminal). Default json. */
    LOG_FORMAT: z.enum(['json', 'pretty']).default('json'),
  })
  .superRefine((env, ctx) => {
    // A token without an account (or the reverse) is a half-configured first run.
    if (Boolean(env.RISKWIRE_BOOTSTRAP_ACCOUNT) !== Boolean(env.RISKWIRE_BOOTSTRAP_TOKEN)) {
      ctx.addIssue({
        code: 'custom',
        path: ['RISKWIRE_BOOTSTRAP_TOKEN'],
        message: 'RISKWIRE_BOOTSTRAP_ACCOUNT and RISKWIRE_BOOTSTRAP_TOKEN must be set together',
      });
    }
    // A lease shorter than an attempt expires while the attempt is still running: another
    // instance would send the same SET again in the normal case.
    const timeout = env.RISKWIRE_PUSH_TIMEOUT_MS;
    if (env.RISKWIRE_PUSH_LEASE_MS !== undefined && env.RISKWIRE_PUSH_LEASE_MS <= timeout) {
      ctx.addIssue({
        code: 'custom',
        path: ['RISKWIRE_PUSH_LEASE_MS'],
        message: `must be longer than RISKWIRE_PUSH_TIMEOUT_MS (${timeout})`,
      });
    }
  });

export type Env = z.input<typeof EnvSchema>;
