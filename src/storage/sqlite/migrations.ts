/**
 * Versioned schema migrations, applied in order at start inside one transaction each.
 * Never edit a released migration: add a new one. Later issues append their tables here.
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'accounts, api tokens, audit log',
    sql: `
      CREATE TABLE accounts (
        id          TEXT PRIMARY KEY,
        name        TEXT NOT NULL,
        created_at  INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE api_tokens (
        id           TEXT PRIMARY KEY,
        account_id   TEXT NOT NULL REFERENCES accounts(id),
        name         TEXT NOT NULL,
        scopes       TEXT NOT NULL,
        token_hash   TEXT NOT NULL UNIQUE,
        created_at   INTEGER NOT NULL,
        last_used_at INTEGER,
        revoked_at   INTEGER
      ) STRICT;
      CREATE INDEX api_tokens_by_account ON api_tokens (account_id, created_at, id);

      CREATE TABLE audit_log (
        seq         INTEGER PRIMARY KEY AUTOINCREMENT,
        id          TEXT NOT NULL UNIQUE,
        account_id  TEXT NOT NULL,
        at          INTEGER NOT NULL,
        actor       TEXT NOT NULL,
        action      TEXT NOT NULL,
        target      TEXT,
        details     TEXT NOT NULL
      ) STRICT;
      CREATE INDEX audit_log_by_account ON audit_log (account_id, at DESC, seq DESC);
    `,
  },
  {
    version: 2,
    name: 'risk scoring: behaviors, users, identifiers, events, changes',
    sql: `
      ALTER TABLE accounts ADD COLUMN decay_window_s INTEGER;

      CREATE TABLE behaviors (
        account_id  TEXT NOT NULL,
        id          TEXT NOT NULL,
        name        TEXT NOT NULL,
        description TEXT NOT NULL,
        enabled     INTEGER NOT NULL,
        risk_rank   INTEGER NOT NULL,
        custom      INTEGER NOT NULL,
        updated_at  INTEGER NOT NULL,
        PRIMARY KEY (account_id, id)
      ) STRICT, WITHOUT ROWID;

      CREATE TABLE users (
        account_id     TEXT NOT NULL,
        id             TEXT NOT NULL,
        name           TEXT,
        email          TEXT,
        created_at     INTEGER NOT NULL,
        risk_rank      INTEGER NOT NULL DEFAULT 0,
        event_count    INTEGER NOT NULL DEFAULT 0,
        last_event_at  INTEGER,
        last_reset_at  INTEGER,
        decay_check_at INTEGER,
        PRIMARY KEY (account_id, id)
      ) STRICT;
      -- Summary pages list scored users only; partial indexes keep them small.
      CREATE INDEX users_scored_by_time  ON users (account_id, last_event_at, id) WHERE risk_rank > 0;
      CREATE INDEX users_scored_by_count ON users (account_id, event_count, id) WHERE risk_rank > 0;
      CREATE INDEX users_scored_by_level ON users (account_id, risk_rank, last_event_at, id) WHERE risk_rank > 0;
      CREATE INDEX users_decay_due ON users (decay_check_at) WHERE decay_check_at IS NOT NULL;

      -- Maintained in the transaction that scores or resets a user, so the summary's
      -- total_count is a lookup rather than a count over a million index entries.
      CREATE TABLE account_risk_stats (
        account_id   TEXT PRIMARY KEY,
        scored_users INTEGER NOT NULL
      ) STRICT, WITHOUT ROWID;

      CREATE TABLE user_identifiers (
        account_id TEXT NOT NULL,
        kind       TEXT NOT NULL,
        value      TEXT NOT NULL,
        user_id    TEXT NOT NULL,
        PRIMARY KEY (account_id, kind, value)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX user_identifiers_by_user ON user_identifiers (account_id, user_id);

      CREATE TABLE risk_events (
        seq           INTEGER PRIMARY KEY,
        id            TEXT NOT NULL,
        account_id    TEXT NOT NULL,
        user_id       TEXT NOT NULL,
        behavior_id   TEXT NOT NULL,
        behavior_name TEXT NOT NULL,
        risk_rank     INTEGER NOT NULL,
        occurred_at   INTEGER NOT NULL,
        received_at   INTEGER NOT NULL,
        source        TEXT NOT NULL,
        signal_id     TEXT NOT NULL,
        details       TEXT NOT NULL
      ) STRICT;
      CREATE UNIQUE INDEX risk_events_signal ON risk_events (account_id, signal_id);
      CREATE INDEX risk_events_by_user_time ON risk_events (account_id, user_id, occurred_at);
      CREATE INDEX risk_events_by_user_level ON risk_events (account_id, user_id, risk_rank, occurred_at);

      CREATE TABLE risk_changes (
        seq           INTEGER PRIMARY KEY AUTOINCREMENT,
        id            TEXT NOT NULL UNIQUE,
        account_id    TEXT NOT NULL,
        user_id       TEXT NOT NULL,
        previous      TEXT NOT NULL,
        current       TEXT NOT NULL,
        cause         TEXT NOT NULL,
        behavior_id   TEXT,
        reason        TEXT NOT NULL,
        at            INTEGER NOT NULL,
        consumed_at   INTEGER
      ) STRICT;
      CREATE INDEX risk_changes_pending ON risk_changes (seq) WHERE consumed_at IS NULL;
      CREATE INDEX risk_changes_by_user ON risk_changes (account_id, user_id, seq);
    `,
  },
  {
    version: 3,
    name: 'ssf transmitter: signing keys, receivers, streams, subjects, outbox',
    sql: `
      ALTER TABLE api_tokens ADD COLUMN receiver_id TEXT;
      ALTER TABLE accounts ADD COLUMN ssf_default_subjects TEXT NOT NULL DEFAULT 'ALL';

      CREATE TABLE signing_keys (
        account_id     TEXT NOT NULL,
        kid            TEXT NOT NULL,
        alg            TEXT NOT NULL,
        public_jwk     TEXT NOT NULL,
        private_sealed TEXT NOT NULL,
        created_at     INTEGER NOT NULL,
        activates_at   INTEGER NOT NULL,
        retires_at     INTEGER,
        PRIMARY KEY (account_id, kid)
      ) STRICT, WITHOUT ROWID;

      CREATE TABLE receivers (
        account_id  TEXT NOT NULL,
        client_id   TEXT NOT NULL,
        name        TEXT NOT NULL,
        audience    TEXT NOT NULL,
        scopes      TEXT NOT NULL,
        secret_hash TEXT NOT NULL,
        created_at  INTEGER NOT NULL,
        PRIMARY KEY (account_id, client_id)
      ) STRICT, WITHOUT ROWID;

      CREATE TABLE streams (
        account_id           TEXT NOT NULL,
        stream_id            TEXT NOT NULL,
        receiver_id          TEXT,
        aud                  TEXT NOT NULL,
        events_requested     TEXT NOT NULL,
        events_delivered     TEXT NOT NULL,
        description          TEXT,
        delivery_method      TEXT NOT NULL,
        endpoint_url         TEXT NOT NULL,
        authorization_sealed TEXT,
        status               TEXT NOT NULL,
        status_reason        TEXT,
        profile              TEXT NOT NULL,
        created_at           INTEGER NOT NULL,
        updated_at           INTEGER NOT NULL,
        last_verification_at INTEGER,
        PRIMARY KEY (account_id, stream_id)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX streams_by_receiver ON streams (account_id, receiver_id, created_at);

      CREATE TABLE stream_subjects (
        account_id TEXT NOT NULL,
        stream_id  TEXT NOT NULL,
        key        TEXT NOT NULL,
        subject    TEXT NOT NULL,
        PRIMARY KEY (account_id, stream_id, key)
      ) STRICT, WITHOUT ROWID;

      CREATE TABLE outbox (
        seq             INTEGER PRIMARY KEY AUTOINCREMENT,
        account_id      TEXT NOT NULL,
        stream_id       TEXT NOT NULL,
        jti             TEXT NOT NULL UNIQUE,
        set_jwt         TEXT NOT NULL,
        subject_key     TEXT NOT NULL,
        event_type      TEXT NOT NULL,
        source_id       TEXT NOT NULL,
        created_at      INTEGER NOT NULL,
        state           TEXT NOT NULL,
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        last_error      TEXT,
        done_at         INTEGER,
        UNIQUE (account_id, stream_id, source_id)
      ) STRICT;
      CREATE INDEX outbox_pending ON outbox (account_id, stream_id, seq) WHERE state = 'pending';
      CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE state = 'pending';
    `,
  },
  {
    version: 4,
    name: 'push delivery leases, Okta integrations',
    sql: `
      ALTER TABLE outbox ADD COLUMN lease_owner TEXT;
      ALTER TABLE outbox ADD COLUMN lease_until INTEGER;
      CREATE INDEX outbox_by_state ON outbox (account_id, stream_id, state, seq);
      -- Per-subject order: a SET waits while an older one about the same subject is pending.
      CREATE INDEX outbox_subject_order ON outbox (account_id, stream_id, subject_key, seq) WHERE state = 'pending';

      CREATE TABLE integrations (
        account_id       TEXT NOT NULL,
        id               TEXT NOT NULL,
        integration_type TEXT NOT NULL,
        tenant_url       TEXT NOT NULL,
        reference_id     TEXT,
        active           INTEGER NOT NULL,
        stream_id        TEXT NOT NULL,
        created_at       INTEGER NOT NULL,
        PRIMARY KEY (account_id, id)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX integrations_by_reference ON integrations (account_id, reference_id);
    `,
  },
  {
    version: 5,
    name: 'ssf receiver: subscriptions and received SETs',
    sql: `
      CREATE TABLE subscriptions (
        account_id          TEXT NOT NULL,
        id                  TEXT NOT NULL,
        mode                TEXT NOT NULL,
        issuer              TEXT NOT NULL,
        jwks_uri            TEXT NOT NULL,
        audience            TEXT NOT NULL,
        stream_id           TEXT,
        push_auth_sealed    TEXT,
        managed             TEXT,
        pending_states      TEXT NOT NULL,
        status              TEXT NOT NULL,
        last_error          TEXT,
        verified_at         INTEGER,
        last_event_at       INTEGER,
        created_at          INTEGER NOT NULL,
        PRIMARY KEY (account_id, id)
      ) STRICT, WITHOUT ROWID;

      CREATE TABLE received_sets (
        seq             INTEGER PRIMARY KEY AUTOINCREMENT,
        account_id      TEXT NOT NULL,
        subscription_id TEXT NOT NULL,
        jti             TEXT NOT NULL,
        issuer          TEXT NOT NULL,
        event_type      TEXT NOT NULL,
        subject         TEXT,
        claims          TEXT NOT NULL,
        received_at     INTEGER NOT NULL,
        state           TEXT NOT NULL,
        outcome         TEXT,
        UNIQUE (account_id, subscription_id, jti)
      ) STRICT;
      CREATE INDEX received_sets_pending ON received_sets (seq) WHERE state = 'pending';
      CREATE INDEX received_sets_by_subscription ON received_sets (account_id, subscription_id, seq);
    `,
  },
  {
    version: 6,
    name: 'EDR and IdP sources',
    sql: `
      CREATE TABLE sources (
        account_id    TEXT NOT NULL,
        id            TEXT NOT NULL,
        type          TEXT NOT NULL,
        name          TEXT NOT NULL,
        settings      TEXT NOT NULL,
        secret_sealed TEXT NOT NULL,
        created_at    INTEGER NOT NULL,
        updated_at    INTEGER NOT NULL,
        PRIMARY KEY (account_id, id)
      ) STRICT, WITHOUT ROWID;

      CREATE TABLE source_events (
        seq         INTEGER PRIMARY KEY AUTOINCREMENT,
        account_id  TEXT NOT NULL,
        source_id   TEXT NOT NULL,
        event_id    TEXT NOT NULL,
        kind        TEXT NOT NULL,
        received_at INTEGER NOT NULL,
        outcome     TEXT NOT NULL,
        UNIQUE (account_id, source_id, event_id)
      ) STRICT;
      CREATE INDEX source_events_by_source ON source_events (account_id, source_id, seq);

      CREATE TABLE source_nonces (
        account_id TEXT NOT NULL,
        source_id  TEXT NOT NULL,
        nonce      TEXT NOT NULL,
        at         INTEGER NOT NULL,
        PRIMARY KEY (account_id, source_id, nonce)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX source_nonces_by_time ON source_nonces (at);

      -- Pull connectors (CrowdStrike Event Streams): the last offset processed per partition.
      CREATE TABLE source_offsets (
        account_id TEXT NOT NULL,
        source_id  TEXT NOT NULL,
        partition  TEXT NOT NULL,
        offset     INTEGER NOT NULL,
        PRIMARY KEY (account_id, source_id, partition)
      ) STRICT, WITHOUT ROWID;
    `,
  },
  {
    version: 7,
    name: 'integrations by id alone',
    sql: `
      -- Cloudflare's well-known URL shape names the integration without its account, on an
      -- unauthenticated endpoint: one index read, never a scan of every account's integrations.
      CREATE INDEX integrations_by_id ON integrations (id);
    `,
  },
  {
    version: 8,
    name: 'source events keep their signal until scored',
    sql: `
      -- A webhook event is answered before it is scored; its signal is kept until then, so a
      -- crash in between is recovered instead of lost (the vendor's retry is a duplicate).
      ALTER TABLE source_events ADD COLUMN signal TEXT;
      CREATE INDEX source_events_unscored ON source_events (received_at) WHERE signal IS NOT NULL;
    `,
  },
  {
    version: 9,
    name: 'a user\'s events by risk level without an index of their own',
    sql: `
      -- Every scored event wrote an entry into this index at a random place (one page per event
      -- under load). A user's events by risk level are found through risk_events_by_user_time
      -- and sorted: a user has tens of events, not millions.
      DROP INDEX risk_events_by_user_level;
    `,
  },
  {
    version: 10,
    name: 'a source revision counted on every update',
    sql: `
      -- Read on every webhook delivery (SourceStore.revision): a number instead of the secret and
      -- settings texts. Sources that exist start from a random point below 2^47, as new ones do
      -- (far from 2^53: counting up stays an exact JavaScript number).
      ALTER TABLE sources ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;
      UPDATE sources SET revision = abs(random() % 140737488355328);
    `,
  },
];
