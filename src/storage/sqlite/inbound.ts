import type { ReceivedSet, ReceivedSetStore, Subscription, SubscriptionStore } from '../inbound-ports.js';
import type { SqliteDb } from './open-database.js';
import type { GroupCommit } from './group-commit.js';

const date = (n: number | null) => (n === null ? null : new Date(n));

interface SubRow {
  account_id: string; id: string; mode: Subscription['mode']; issuer: string; jwks_uri: string; audience: string; stream_id: string | null;
  push_auth_sealed: string | null; managed: string | null; pending_states: string; status: Subscription['status']; last_error: string | null; verified_at: number | null;
  last_event_at: number | null; created_at: number;
}
const toSub = (r: SubRow): Subscription => ({
  accountId: r.account_id, id: r.id, mode: r.mode, issuer: r.issuer, jwksUri: r.jwks_uri, audience: r.audience, streamId: r.stream_id,
  pushAuthorizationSealed: r.push_auth_sealed, managed: r.managed === null ? null : (JSON.parse(r.managed) as Subscription['managed']), pendingStates: JSON.parse(r.pending_states) as string[], status: r.status, lastError: r.last_error,
  verifiedAt: date(r.verified_at), lastEventAt: date(r.last_event_at), createdAt: new Date(r.created_at),
});
const subParams = (s: Subscription) => ({
  account_id: s.accountId, id: s.id, mode: s.mode, issuer: s.issuer, jwks_uri: s.jwksUri, audience: s.audience, stream_id: s.streamId,
  push_auth_sealed: s.pushAuthorizationSealed, managed: s.managed === null ? null : JSON.stringify(s.managed), pending_states: JSON.stringify(s.pendingStates), status: s.status, last_error: s.lastError,
  verified_at: s.verifiedAt?.getTime() ?? null, last_event_at: s.lastEventAt?.getTime() ?? null, created_at: s.createdAt.getTime(),
});

/** A subscription's revision: the columns the push path derives what it keeps from (SubscriptionStore.revision). */
const SUBSCRIPTION_REVISION = 'SELECT json_array(mode, issuer, jwks_uri, audience, stream_id, push_auth_sealed, managed, status) AS r FROM subscriptions WHERE account_id = ? AND id = ?';

/** SubscriptionStore on SQLite. */
export function sqliteSubscriptionStore(db: SqliteDb, gc: GroupCommit): SubscriptionStore {
  const cols = Object.keys(subParams({ createdAt: new Date(0), pendingStates: [] } as unknown as Subscription));
  const insert = db.prepare(`INSERT INTO subscriptions (${cols.join(', ')}) VALUES (${cols.map((c) => `:${c}`).join(', ')})`);
  const update = db.prepare(`UPDATE subscriptions SET ${cols.filter((c) => !['account_id', 'id', 'created_at'].includes(c)).map((c) => `${c} = :${c}`).join(', ')} WHERE account_id = :account_id AND id = :id`);
  const get = db.prepare<[string, string], SubRow>('SELECT * FROM subscriptions WHERE account_id = ? AND id = ?');
  const revision = db.prepare<[string, string], { r: string }>(SUBSCRIPTION_REVISION);
  const list = db.prepare<[string], SubRow>('SELECT * FROM subscriptions WHERE account_id = ? ORDER BY created_at, id');
  const del = db.prepare('DELETE FROM subscriptions WHERE account_id = ? AND id = ?');
  const states = db.prepare<[string, string], { pending_states: string }>('SELECT pending_states FROM subscriptions WHERE account_id = ? AND id = ?');
  const consume = db.prepare('UPDATE subscriptions SET pending_states = ?, verified_at = ? WHERE account_id = ? AND id = ?');
  const lastError = db.prepare('UPDATE subscriptions SET last_error = ? WHERE account_id = ? AND id = ?');
  const touch = db.prepare('UPDATE subscriptions SET last_event_at = ? WHERE account_id = ? AND id = ? AND (last_event_at IS NULL OR last_event_at < ?)');
  return {
    async insert(s) {
      insert.run(subParams(s));
    },
    async get(accountId, id) {
      const r = get.get(accountId, id);
      return r ? toSub(r) : null;
    },
    async revision(accountId, id) {
      return revision.get(accountId, id)?.r ?? null;
    },
    async list(accountId) {
      return list.all(accountId).map(toSub);
    },
    async update(s) {
      const { created_at: _c, ...p } = subParams(s);
      return gc.run(() => update.run(p).changes === 1);
    },
    async delete(accountId, id) {
      return del.run(accountId, id).changes === 1;
    },
    async consumeState(accountId, id, state, at) {
      // Read and write in one queued write: one transaction, so two deliveries cannot both consume it.
      return gc.run(() => {
        const row = states.get(accountId, id);
        const pending = row ? (JSON.parse(row.pending_states) as string[]) : [];
        if (!pending.includes(state)) return false;
        consume.run(JSON.stringify(pending.filter((x) => x !== state)), at.getTime(), accountId, id);
        return true;
      });
    },
    async touchLastEvent(accountId, id, at) {
      await gc.run(() => touch.run(at.getTime(), accountId, id, at.getTime()));
    },
    async setLastError(accountId, id, error) {
      await gc.run(() => lastError.run(error, accountId, id));
    },
  };
}

interface SetRow {
  account_id: string; subscription_id: string; jti: string; issuer: string; event_type: string; subject: string | null; claims: string;
  received_at: number; state: ReceivedSet['state']; outcome: string | null;
}
const toSet = (r: SetRow): ReceivedSet => ({
  accountId: r.account_id, subscriptionId: r.subscription_id, jti: r.jti, issuer: r.issuer, eventType: r.event_type,
  subject: r.subject === null ? null : (JSON.parse(r.subject) as Record<string, unknown>), claims: JSON.parse(r.claims) as Record<string, unknown>,
  receivedAt: new Date(r.received_at), state: r.state, outcome: r.outcome,
});

/** ReceivedSetStore on SQLite. */
export function sqliteReceivedSetStore(db: SqliteDb, gc: GroupCommit): ReceivedSetStore {
  const insert = db.prepare(
    `INSERT INTO received_sets (account_id, subscription_id, jti, issuer, event_type, subject, claims, received_at, state, outcome)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (account_id, subscription_id, jti) DO NOTHING`,
  );
  const revision = db.prepare<[string, string], { r: string }>(SUBSCRIPTION_REVISION);
  const done = db.prepare("UPDATE received_sets SET state = 'processed', outcome = ? WHERE account_id = ? AND subscription_id = ? AND jti = ? AND state = 'pending'");
  const has = db.prepare<[string, string, string], { one: number }>('SELECT 1 AS one FROM received_sets WHERE account_id = ? AND subscription_id = ? AND jti = ?');
  const pending = db.prepare<[number], SetRow>("SELECT * FROM received_sets WHERE state = 'pending' ORDER BY seq LIMIT ?");
  const list = db.prepare<[string, string, number], SetRow>('SELECT * FROM received_sets WHERE account_id = ? AND subscription_id = ? ORDER BY seq DESC LIMIT ?');
  return {
    async insert(r, expected) {
      return gc.run(() => {
        // Inside the write transaction: the subscription cannot change before the commit.
        if (expected !== undefined && revision.get(r.accountId, r.subscriptionId)?.r !== expected) return 'stale' as const;
        return insert.run(r.accountId, r.subscriptionId, r.jti, r.issuer, r.eventType, r.subject ? JSON.stringify(r.subject) : null, JSON.stringify(r.claims), r.receivedAt.getTime(), r.state, r.outcome).changes === 1;
      });
    },
    async has(accountId, subscriptionId, jti) {
      return has.get(accountId, subscriptionId, jti) !== undefined;
    },
    async markProcessed(outcomes) {
      await gc.run(() => {
        for (const o of outcomes) done.run(o.outcome, o.accountId, o.subscriptionId, o.jti);
      });
    },
    async pending(limit) {
      return pending.all(limit).map(toSet);
    },
    async list(accountId, subscriptionId, limit) {
      return list.all(accountId, subscriptionId, limit).map(toSet);
    },
  };
}
