/** The validated, frozen settings every other module receives. Nothing else reads process.env. */
export interface Config {
  readonly port: number;
  readonly host: string;
  /** No trailing slash. */
  readonly publicUrl: string;
  /** Absolute path. */
  readonly dataDir: string;
  readonly storage:
    | { readonly kind: 'sqlite'; readonly path: string; readonly synchronous: 'normal' | 'full' }
    | { readonly kind: 'mongodb'; readonly uri: string };
  /** Raw key material as given; resolved (or generated) by crypto/master-key.ts. */
  readonly masterKey: string | undefined;
  readonly bootstrap: { readonly accountId: string; readonly token: string } | undefined;
  readonly allowPrivateNetwork: boolean;
  /** Absolute path of the declarative stream files' folder, or undefined for the repository's streams/. */
  readonly streamsDir: string | undefined;
  readonly sourcesDir: string | undefined;
  readonly http: { readonly bodyLimitBytes: number; readonly shutdownGraceMs: number };
  /**
   * `recoveryAgeMs`: age after which unfinished work is taken over by recovery (RISKWIRE_RISK_RECOVERY_AGE_SECONDS).
   * `batchWaitMs`: how long scoring after an answer gathers its batch (RISKWIRE_SCORING_BATCH_WAIT_MS).
   */
  readonly risk: { readonly recoveryAgeMs: number; readonly batchWaitMs: number };
  readonly log: { readonly level: string; readonly format: 'json' | 'pretty' };
  readonly ssf: {
    readonly keyPrepublishSeconds: number;
    readonly keyRetentionSeconds: number;
    readonly accessTokenTtlSeconds: number;
    readonly longPollSeconds: number;
    readonly minVerificationIntervalSeconds: number;
  };
  readonly push: {
    readonly timeoutMs: number;
    readonly maxAttempts: number;
    readonly maxAgeSeconds: number;
    readonly backoffBaseMs: number;
    readonly backoffMaxMs: number;
    readonly concurrency: number;
    /** How long a claimed SET stays leased to this instance (RISKWIRE_PUSH_LEASE_MS). */
    readonly leaseMs: number;
  };
}
