import type { Source, SourceEvent, SourceStore } from '../source-ports.js';
import type { SqliteDb } from './open-database.js';
import type { GroupCommit } from './group-commit.js';

interface Row { account_id: string; id: string; type: Source['type']; name: string; settings: string; secret_sealed: string; created_at: number; updated_at: number }
const toSource = (r: Row): Source => ({
  accountId: r.account_id, id: r.id, type: r.type, name: r.name, settings: JSON.parse(r.settings) as Record<string, unknown>,
  secretSealed: r.secret_sealed, createdAt: new Date(r.created_at), updatedAt: new Date(r.updated_at),
});
interface EventRow { account_id: string; source_id: string; event_id: string; kind: string; received_at: number; outcome: string; signal: string | null }
const toEvent = (r: EventRow): SourceEvent => ({ accountId: r.account_id, sourceId: r.source_id, eventId: r.event_id, kind: r.kind, receivedAt: new Date(r.received_at), outcome: r.outcome });

/** SourceStore on SQLite. */
export function sqliteSourceStore(db: SqliteDb, gc: GroupCommit): SourceStore {
  // A source's revision starts at a random number, so a source deleted and created again under
  // its id never repeats the revision a reader kept; every update counts it up.
  const insert = db.prepare(
    'INSERT INTO sources (account_id, id, type, name, settings, secret_sealed, created_at, updated_at, revision) VALUES (?, ?, ?, ?, ?, ?, ?, ?, abs(random() % 140737488355328))',
  );
  const get = db.prepare<[string, string], Row>('SELECT * FROM sources WHERE account_id = ? AND id = ?');
  const list = db.prepare<[string], Row>('SELECT * FROM sources WHERE account_id = ? ORDER BY created_at, id');
  const revision = db.prepare<[string, string], { r: number }>('SELECT revision AS r FROM sources WHERE account_id = ? AND id = ?');
  const update = db.prepare('UPDATE sources SET name = ?, settings = ?, secret_sealed = ?, updated_at = ?, revision = revision + 1 WHERE account_id = ? AND id = ?');
  const del = db.prepare('DELETE FROM sources WHERE account_id = ? AND id = ?');
  const delEvents = db.prepare('DELETE FROM source_events WHERE account_id = ? AND source_id = ?');
  const delOffsets = db.prepare('DELETE FROM source_offsets WHERE account_id = ? AND source_id = ?');
  const record = db.prepare('INSERT INTO source_events (account_id, source_id, event_id, kind, received_at, outcome, signal) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING');
  const outcome = db.prepare('UPDATE source_events SET outcome = ?, signal = NULL WHERE account_id = ? AND source_id = ? AND event_id = ? AND signal IS NOT NULL');
  const unscored = db.prepare<[number, number], EventRow>('SELECT * FROM source_events WHERE signal IS NOT NULL AND received_at <= ? ORDER BY received_at, seq LIMIT ?');
  const events = db.prepare<[string, string, number], EventRow>('SELECT * FROM source_events WHERE account_id = ? AND source_id = ? ORDER BY seq DESC LIMIT ?');
  const claim = db.prepare('INSERT INTO source_nonces (account_id, source_id, nonce, at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING');
  const prune = db.prepare('DELETE FROM source_nonces WHERE at < ?');
  const offsets = db.prepare<[string, string], { partition: string; offset: number }>('SELECT partition, offset FROM source_offsets WHERE account_id = ? AND source_id = ?');
  const saveOffset = db.prepare(
    `INSERT INTO source_offsets (account_id, source_id, partition, offset) VALUES (?, ?, ?, ?)
     ON CONFLICT (account_id, source_id, partition) DO UPDATE SET offset = max(offset, excluded.offset)`,
  );
  const recordOne = (e: SourceEvent) =>
    record.run(e.accountId, e.sourceId, e.eventId, e.kind, e.receivedAt.getTime(), e.outcome, e.signal ? JSON.stringify(e.signal) : null).changes === 1;
  const remove = db.transaction((a: string, id: string) => {
    delEvents.run(a, id);
    delOffsets.run(a, id);
    return del.run(a, id).changes === 1;
  });
  return {
    async insert(s) {
      insert.run(s.accountId, s.id, s.type, s.name, JSON.stringify(s.settings), s.secretSealed, s.createdAt.getTime(), s.updatedAt.getTime());
    },
    async get(a, id) {
      const r = get.get(a, id);
      return r ? toSource(r) : null;
    },
    async revision(a, id) {
      const r = revision.get(a, id);
      return r ? String(r.r) : null;
    },
    async list(a) {
      return list.all(a).map(toSource);
    },
    async update(s) {
      return update.run(s.name, JSON.stringify(s.settings), s.secretSealed, s.updatedAt.getTime(), s.accountId, s.id).changes === 1;
    },
    async delete(a, id) {
      return remove.immediate(a, id);
    },
    async recordEvent(e) {
      return gc.run(() => recordOne(e));
    },
    async recordDelivery(a, s, list, nonce, expected) {
      return gc.run(() => {
        // Inside the write transaction: the revision cannot change before the commit.
        if (expected !== undefined && String(revision.get(a, s)?.r ?? '') !== expected) return 'stale' as const;
        if (nonce && claim.run(a, s, nonce.value, nonce.at.getTime()).changes === 0) return 'replayed' as const;
        return list.map(recordOne);
      });
    },
    async setOutcomes(a, s, list) {
      await gc.run(() => {
        for (const x of list) outcome.run(x.outcome, a, s, x.eventId);
      });
    },
    async listEvents(a, s, limit) {
      return events.all(a, s, limit).map(toEvent);
    },
    async unscored(receivedBy, limit) {
      return unscored.all(receivedBy.getTime(), limit).map((r) => ({ ...toEvent(r), signal: JSON.parse(r.signal!) as Record<string, unknown> }));
    },
    async getOffsets(a, s) {
      return Object.fromEntries(offsets.all(a, s).map((r) => [r.partition, r.offset]));
    },
    async saveOffset(a, s, partition, offset) {
      await gc.run(() => saveOffset.run(a, s, partition, offset));
    },
    async pruneNonces(before) {
      return prune.run(before.getTime()).changes;
    },
  };
}
