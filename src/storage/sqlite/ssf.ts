import type { JWK } from 'jose';
import type {
  OutboxEntry, OutboxStore, Receiver, ReceiverStore, SigningKey, SigningKeyStore, SsfScope, Stream, StreamStore,
} from '../ssf-ports.js';
import type { SqliteDb } from './open-database.js';
import type { GroupCommit } from './group-commit.js';

const date = (n: number | null) => (n === null ? null : new Date(n));

/** SigningKeyStore on SQLite. */
export function sqliteSigningKeyStore(db: SqliteDb): SigningKeyStore {
  interface Row { account_id: string; kid: string; alg: 'RS256'; public_jwk: string; private_sealed: string; created_at: number; activates_at: number; retires_at: number | null }
  const list = db.prepare<[string], Row>('SELECT * FROM signing_keys WHERE account_id = ? ORDER BY created_at, kid');
  const insert = db.prepare('INSERT INTO signing_keys (account_id, kid, alg, public_jwk, private_sealed, created_at, activates_at, retires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  const retire = db.prepare('UPDATE signing_keys SET retires_at = ? WHERE account_id = ? AND kid <> ? AND retires_at IS NULL');
  return {
    async list(accountId) {
      return list.all(accountId).map((r): SigningKey => ({
        accountId: r.account_id, kid: r.kid, alg: r.alg, publicJwk: JSON.parse(r.public_jwk) as JWK, privateKeySealed: r.private_sealed,
        createdAt: new Date(r.created_at), activatesAt: new Date(r.activates_at), retiresAt: date(r.retires_at),
      }));
    },
    async insert(k) {
      insert.run(k.accountId, k.kid, k.alg, JSON.stringify(k.publicJwk), k.privateKeySealed, k.createdAt.getTime(), k.activatesAt.getTime(), k.retiresAt?.getTime() ?? null);
    },
    async retireOthers(accountId, keepKid, at) {
      retire.run(at.getTime(), accountId, keepKid);
    },
  };
}

/** ReceiverStore on SQLite. */
export function sqliteReceiverStore(db: SqliteDb): ReceiverStore {
  interface Row { account_id: string; client_id: string; name: string; audience: string; scopes: string; secret_hash: string; created_at: number }
  const toReceiver = (r: Row): Receiver => ({
    accountId: r.account_id, clientId: r.client_id, name: r.name, audience: r.audience, scopes: JSON.parse(r.scopes) as SsfScope[],
    secretHash: r.secret_hash, createdAt: new Date(r.created_at),
  });
  const insert = db.prepare('INSERT INTO receivers (account_id, client_id, name, audience, scopes, secret_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
  const get = db.prepare<[string, string], Row>('SELECT * FROM receivers WHERE account_id = ? AND client_id = ?');
  const list = db.prepare<[string], Row>('SELECT * FROM receivers WHERE account_id = ? ORDER BY created_at, client_id');
  const del = db.prepare('DELETE FROM receivers WHERE account_id = ? AND client_id = ?');
  return {
    async insert(r) {
      insert.run(r.accountId, r.clientId, r.name, r.audience, JSON.stringify(r.scopes), r.secretHash, r.createdAt.getTime());
    },
    async get(accountId, clientId) {
      const r = get.get(accountId, clientId);
      return r ? toReceiver(r) : null;
    },
    async list(accountId) {
      return list.all(accountId).map(toReceiver);
    },
    async delete(accountId, clientId) {
      return del.run(accountId, clientId).changes === 1;
    },
  };
}

interface StreamRow {
  account_id: string; stream_id: string; receiver_id: string | null; aud: string; events_requested: string; events_delivered: string;
  description: string | null; delivery_method: string; endpoint_url: string; authorization_sealed: string | null; status: string;
  status_reason: string | null; profile: string; created_at: number; updated_at: number; last_verification_at: number | null;
}
const toStream = (r: StreamRow): Stream => ({
  accountId: r.account_id, streamId: r.stream_id, receiverId: r.receiver_id, aud: JSON.parse(r.aud) as Stream['aud'],
  eventsRequested: JSON.parse(r.events_requested) as string[], eventsDelivered: JSON.parse(r.events_delivered) as string[],
  description: r.description,
  delivery: { method: r.delivery_method as Stream['delivery']['method'], endpointUrl: r.endpoint_url, authorizationHeaderSealed: r.authorization_sealed },
  status: r.status as Stream['status'], statusReason: r.status_reason, profile: r.profile as Stream['profile'],
  createdAt: new Date(r.created_at), updatedAt: new Date(r.updated_at), lastVerificationAt: date(r.last_verification_at),
});
const streamParams = (s: Stream) => ({
  account_id: s.accountId, stream_id: s.streamId, receiver_id: s.receiverId, aud: JSON.stringify(s.aud),
  events_requested: JSON.stringify(s.eventsRequested), events_delivered: JSON.stringify(s.eventsDelivered), description: s.description,
  delivery_method: s.delivery.method, endpoint_url: s.delivery.endpointUrl, authorization_sealed: s.delivery.authorizationHeaderSealed,
  status: s.status, status_reason: s.statusReason, profile: s.profile, created_at: s.createdAt.getTime(), updated_at: s.updatedAt.getTime(),
  last_verification_at: s.lastVerificationAt?.getTime() ?? null,
});

/** StreamStore on SQLite. */
export function sqliteStreamStore(db: SqliteDb): StreamStore {
  const cols = Object.keys(streamParams({ delivery: {}, createdAt: new Date(0), updatedAt: new Date(0) } as unknown as Stream));
  const insert = db.prepare(`INSERT INTO streams (${cols.join(', ')}) VALUES (${cols.map((c) => `:${c}`).join(', ')})`);
  const update = db.prepare(`UPDATE streams SET ${cols.filter((c) => !['account_id', 'stream_id', 'created_at'].includes(c)).map((c) => `${c} = :${c}`).join(', ')} WHERE account_id = :account_id AND stream_id = :stream_id`);
  const get = db.prepare<[string, string], StreamRow>('SELECT * FROM streams WHERE account_id = ? AND stream_id = ?');
  const byReceiver = db.prepare<[string, string], StreamRow>('SELECT * FROM streams WHERE account_id = ? AND receiver_id = ? ORDER BY created_at, stream_id');
  const deliverable = db.prepare<[string], StreamRow>("SELECT * FROM streams WHERE account_id = ? AND status <> 'disabled' ORDER BY created_at, stream_id");
  const delStream = db.prepare('DELETE FROM streams WHERE account_id = ? AND stream_id = ?');
  const delSubjects = db.prepare('DELETE FROM stream_subjects WHERE account_id = ? AND stream_id = ?');
  const delOutbox = db.prepare('DELETE FROM outbox WHERE account_id = ? AND stream_id = ?');
  const addSubject = db.prepare('INSERT INTO stream_subjects (account_id, stream_id, key, subject) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING');
  const removeSubject = db.prepare('DELETE FROM stream_subjects WHERE account_id = ? AND stream_id = ? AND key = ?');
  const subjects = db.prepare<[string, string], { subject: string }>('SELECT subject FROM stream_subjects WHERE account_id = ? AND stream_id = ? ORDER BY key');
  const remove = db.transaction((accountId: string, streamId: string) => {
    const gone = delStream.run(accountId, streamId).changes === 1;
    delSubjects.run(accountId, streamId);
    delOutbox.run(accountId, streamId);
    return gone;
  });
  return {
    async insert(s) {
      insert.run(streamParams(s));
    },
    async get(accountId, streamId) {
      const r = get.get(accountId, streamId);
      return r ? toStream(r) : null;
    },
    async listByReceiver(accountId, receiverId) {
      return byReceiver.all(accountId, receiverId).map(toStream);
    },
    async listDeliverable(accountId) {
      return deliverable.all(accountId).map(toStream);
    },
    async update(s) {
      const p = streamParams(s);
      const { created_at: _c, ...rest } = p;
      return update.run(rest).changes === 1;
    },
    async delete(accountId, streamId) {
      return remove.immediate(accountId, streamId);
    },
    async addSubject(accountId, streamId, key, subject) {
      addSubject.run(accountId, streamId, key, JSON.stringify(subject));
    },
    async removeSubject(accountId, streamId, key) {
      return removeSubject.run(accountId, streamId, key).changes === 1;
    },
    async listSubjects(accountId, streamId) {
      return subjects.all(accountId, streamId).map((r) => JSON.parse(r.subject) as Record<string, unknown>);
    },
  };
}

interface OutboxRow {
  seq: number; account_id: string; stream_id: string; jti: string; set_jwt: string; subject_key: string; event_type: string;
  source_id: string; created_at: number; state: OutboxEntry['state']; attempts: number; next_attempt_at: number; last_error: string | null;
}
export const toOutbox = (r: OutboxRow): OutboxEntry => ({
  accountId: r.account_id, streamId: r.stream_id, jti: r.jti, seq: r.seq, set: r.set_jwt, subjectKey: r.subject_key, eventType: r.event_type,
  sourceId: r.source_id, createdAt: new Date(r.created_at), state: r.state, attempts: r.attempts, nextAttemptAt: new Date(r.next_attempt_at),
  lastError: r.last_error,
});

/** OutboxStore on SQLite. */
export function sqliteOutboxStore(db: SqliteDb, gc: GroupCommit): OutboxStore {
  const enqueue = db.prepare(
    `INSERT INTO outbox (account_id, stream_id, jti, set_jwt, subject_key, event_type, source_id, created_at, state, next_attempt_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?) ON CONFLICT (account_id, stream_id, source_id) DO NOTHING`,
  );
  const pending = db.prepare<[string, string, number], OutboxRow>("SELECT * FROM outbox WHERE account_id = ? AND stream_id = ? AND state = 'pending' ORDER BY seq LIMIT ?");
  const count = db.prepare<[string, string], { n: number }>("SELECT count(*) AS n FROM outbox WHERE account_id = ? AND stream_id = ? AND state = 'pending'");
  const done = db.prepare("UPDATE outbox SET state = ?, done_at = ?, last_error = coalesce(?, last_error) WHERE account_id = ? AND stream_id = ? AND jti = ? AND state = 'pending'");
  const drop = db.prepare("DELETE FROM outbox WHERE account_id = ? AND stream_id = ? AND state = 'pending'");
  const due = db.prepare<{ now: number; limit: number }, OutboxRow>(
    // INDEXED BY: without statistics SQLite prefers walking the whole table in seq order (no sort),
    // delivered rows included; the partial index visits only pending rows that are due, in the
    // index's own order (next_attempt_at, then seq), so the scan stops at `limit` instead of
    // sorting every due row. Delivery order is owed per subject only, which NOT EXISTS keeps.
    `SELECT o.* FROM outbox o INDEXED BY outbox_due JOIN streams s ON s.account_id = o.account_id AND s.stream_id = o.stream_id
     WHERE o.state = 'pending' AND o.next_attempt_at <= :now AND (o.lease_until IS NULL OR o.lease_until < :now)
       AND s.status = 'enabled' AND s.delivery_method = 'urn:ietf:rfc:8935'
       AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.account_id = o.account_id AND p.stream_id = o.stream_id
                       AND p.subject_key = o.subject_key AND p.state = 'pending' AND p.seq < o.seq)
     ORDER BY o.next_attempt_at, o.seq LIMIT :limit`,
  );
  // A leased row's next attempt is its lease's end: if the attempt never finishes (the instance
  // died) it is due again then; meanwhile the due scan (index outbox_due) does not even visit it,
  // so claiming stays proportional to what is due, not to what is in flight (docs/benchmarks.md, e2e).
  const lease = db.prepare('UPDATE outbox SET lease_owner = ?, lease_until = ?, next_attempt_at = ? WHERE jti = ?');
  const anyDue = db.prepare<[number], { one: number }>("SELECT 1 AS one FROM outbox WHERE state = 'pending' AND next_attempt_at <= ? LIMIT 1");
  const retry = db.prepare(
    "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?, lease_owner = NULL, lease_until = NULL WHERE jti = ? AND lease_owner = ? AND state = 'pending'",
  );
  const end = db.prepare(
    "UPDATE outbox SET state = ?, attempts = attempts + 1, last_error = coalesce(?, last_error), done_at = ?, lease_owner = NULL, lease_until = NULL WHERE jti = ? AND lease_owner = ? AND state = 'pending'",
  );
  const byState = db.prepare<[string, string, string, number], OutboxRow>('SELECT * FROM outbox WHERE account_id = ? AND stream_id = ? AND state = ? ORDER BY seq DESC LIMIT ?');
  const redriveOne = db.prepare(
    "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = ?, done_at = NULL, lease_owner = NULL, lease_until = NULL WHERE account_id = ? AND stream_id = ? AND jti = ? AND state IN ('dead', 'failed')",
  );
  const redriveAll = db.prepare(
    "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = ?, done_at = NULL, lease_owner = NULL, lease_until = NULL WHERE account_id = ? AND stream_id = ? AND state = 'dead'",
  );
  const counts = db.prepare<[number], { account_id: string; stream_id: string; n: number }>(
    "SELECT account_id, stream_id, count(*) AS n FROM outbox WHERE state = 'pending' GROUP BY account_id, stream_id ORDER BY n DESC LIMIT ?",
  );
  // claim and finish run inside their group-commit savepoint (group-commit.ts).
  const claim = (now: number, owner: string, until: number, limit: number) => {
    const rows = due.all({ now, limit });
    for (const r of rows) lease.run(owner, until, until, r.jti);
    return rows;
  };
  const redrive = db.transaction((accountId: string, streamId: string, jtis: readonly string[] | null, at: number) => {
    if (!jtis) return redriveAll.run(at, accountId, streamId).changes;
    let n = 0;
    for (const j of jtis) n += redriveOne.run(at, accountId, streamId, j).changes;
    return n;
  });
  const finish = (state: string, accountId: string, streamId: string, items: ReadonlyArray<{ jti: string; error: string | null }>, at: number) => {
    let n = 0;
    for (const i of items) n += done.run(state, at, i.error, accountId, streamId, i.jti).changes;
    return n;
  };
  return {
    async enqueue(e) {
      return gc.run(() => enqueue.run(e.accountId, e.streamId, e.jti, e.set, e.subjectKey, e.eventType, e.sourceId, e.createdAt.getTime(), e.createdAt.getTime()).changes === 1);
    },
    async pending(accountId, streamId, limit) {
      return pending.all(accountId, streamId, limit).map(toOutbox);
    },
    async countPending(accountId, streamId) {
      return count.get(accountId, streamId)?.n ?? 0;
    },
    async markDelivered(accountId, streamId, jtis, at) {
      return gc.run(() => finish('delivered', accountId, streamId, jtis.map((jti) => ({ jti, error: null })), at.getTime()));
    },
    async markFailed(accountId, streamId, errs, at) {
      return gc.run(() => finish('failed', accountId, streamId, errs.map((e) => ({ jti: e.jti, error: e.error })), at.getTime()));
    },
    async dropPending(accountId, streamId) {
      return drop.run(accountId, streamId).changes;
    },
    async claimDue(now, owner, leaseUntil, limit) {
      // Most wake-ups find nothing due: answer those with a read, without taking the write lock
      // (and committing) that leasing needs.
      if (!anyDue.get(now.getTime())) return [];
      return (await gc.run(() => claim(now.getTime(), owner, leaseUntil.getTime(), limit))).map(toOutbox);
    },
    async retryLater(jti, owner, nextAttemptAt, error) {
      return gc.run(() => retry.run(nextAttemptAt.getTime(), error, jti, owner).changes === 1);
    },
    async finish(jti, owner, state, error, at) {
      return gc.run(() => end.run(state, error, at.getTime(), jti, owner).changes === 1);
    },
    async listByState(accountId, streamId, state, limit) {
      return byState.all(accountId, streamId, state, limit).map(toOutbox);
    },
    async pendingCounts(limit) {
      return counts.all(limit).map((r) => ({ accountId: r.account_id, streamId: r.stream_id, pending: r.n }));
    },
    async redrive(accountId, streamId, jtis, at) {
      return redrive.immediate(accountId, streamId, jtis, at.getTime());
    },
  };
}
