import { randomUUID } from 'node:crypto';
import type { Db } from 'mongodb';
import { levelOfRank } from '../../domain/risk-level.js';
import type { RiskChange } from '../../domain/risk.js';
import type { IdentifierKind } from '../../domain/user.js';
import type { SummaryOrder, UserStore, UserSummaryRecord } from '../risk-ports.js';
import { isDuplicateKey } from './errors.js';

/** A pending change embedded in the user document until it is moved to the feed. */
export interface PendingChangeDoc {
  id: string;
  previous: string;
  current: string;
  cause: RiskChange['cause'];
  behavior_id: string | null;
  reason: string;
  at: Date;
}

/** The user document: profile, risk state, and the CAS bookkeeping of the risk store. */
export interface UserDoc {
  /** `<account>:<user uuid>`. */
  _id: string;
  account_id: string;
  user_id: string;
  name: string | null;
  email: string | null;
  created_at: Date;
  risk_rank: number;
  event_count: number;
  last_event_at: Date | null;
  last_reset_at: Date | null;
  decay_check_at: Date | null;
  /** Compare-and-set version: every state write requires the version it read. */
  version: number;
  /** Ids of the last events applied, so a resumed event is never applied twice. */
  recent_events: string[];
  /** Changes written with the state, not yet copied to the risk_changes feed. */
  pending_changes: PendingChangeDoc[];
  has_pending: boolean;
}

interface IdentifierDoc {
  /** `<account>:<kind>:<value>`. */
  _id: string;
  account_id: string;
  kind: IdentifierKind;
  value: string;
  user_id: string;
}

export const userKey = (accountId: string, userId: string) => `${accountId}:${userId}`;
const identKey = (accountId: string, kind: string, value: string) => `${accountId}:${kind}:${value}`;

/** The document as a summary record. FerretDB may omit fields stored as null. */
export function toUserSummary(d: UserDoc): UserSummaryRecord {
  return {
    accountId: d.account_id,
    id: d.user_id,
    name: d.name ?? null,
    email: d.email ?? null,
    createdAt: d.created_at,
    level: levelOfRank(d.risk_rank),
    eventCount: d.event_count,
    lastEventAt: d.last_event_at ?? null,
    lastResetAt: d.last_reset_at ?? null,
    decayCheckAt: d.decay_check_at ?? null,
  };
}

/** Indexes the user and identifier collections rely on. */
export async function ensureUserIndexes(db: Db): Promise<void> {
  const users = db.collection<UserDoc>('users');
  await users.createIndex({ account_id: 1, risk_rank: 1, last_event_at: -1 }, { name: 'summary_by_level_time' });
  await users.createIndex({ account_id: 1, last_event_at: -1 }, { name: 'summary_by_time' });
  await users.createIndex({ account_id: 1, event_count: -1 }, { name: 'summary_by_count' });
  await users.createIndex({ decay_check_at: 1 }, { name: 'decay_due' });
  await users.createIndex({ has_pending: 1 }, { name: 'pending_changes' });
  await db.collection<IdentifierDoc>('user_identifiers').createIndex({ account_id: 1, user_id: 1 }, { name: 'by_user' });
}

const SORT: Record<SummaryOrder, string[]> = {
  timestamp: ['last_event_at', 'user_id'],
  event_count: ['event_count', 'user_id'],
  max_risk_level: ['risk_rank', 'last_event_at', 'user_id'],
};

/** UserStore on MongoDB. */
export function mongoUserStore(db: Db): UserStore {
  const users = db.collection<UserDoc>('users');
  const idents = db.collection<IdentifierDoc>('user_identifiers');

  const claimAll = async (accountId: string, userId: string, list: ReadonlyArray<{ kind: IdentifierKind; value: string }>) => {
    for (const i of list) {
      try {
        await idents.insertOne({ _id: identKey(accountId, i.kind, i.value), account_id: accountId, kind: i.kind, value: i.value, user_id: userId });
      } catch (err) {
        if (!isDuplicateKey(err)) throw err; // claimed by someone already: never stolen
      }
    }
  };

  return {
    async get(accountId, id) {
      const d = await users.findOne({ _id: userKey(accountId, id) });
      if (!d) return null;
      const ids = await idents.find({ account_id: accountId, user_id: id }).sort({ kind: 1, value: 1 }).toArray();
      return { ...toUserSummary(d), identifiers: ids.map((i) => ({ kind: i.kind, value: i.value })) };
    },
    async findByIdentifier(accountId, i) {
      return (await idents.findOne({ _id: identKey(accountId, i.kind, i.value) }))?.user_id ?? null;
    },
    async create(u) {
      // The user document first, then the first identifier as the claim: a racing creator that
      // loses the claim removes its own, still unknown, document. A crash in between leaves an
      // unscored user nobody can find, which is harmless.
      await users.insertOne({
        _id: userKey(u.accountId, u.id), account_id: u.accountId, user_id: u.id, name: u.name, email: u.email,
        created_at: u.createdAt, risk_rank: 0, event_count: 0, last_event_at: null, last_reset_at: null,
        decay_check_at: null, version: 0, recent_events: [], pending_changes: [], has_pending: false,
      });
      const [first, ...rest] = u.identifiers;
      if (first) {
        try {
          await idents.insertOne({ _id: identKey(u.accountId, first.kind, first.value), account_id: u.accountId, kind: first.kind, value: first.value, user_id: u.id });
        } catch (err) {
          if (!isDuplicateKey(err)) throw err;
          await users.deleteOne({ _id: userKey(u.accountId, u.id), version: 0 });
          const owner = await idents.findOne({ _id: identKey(u.accountId, first.kind, first.value) });
          return { userId: owner?.user_id ?? randomUUID(), created: false };
        }
      }
      await claimAll(u.accountId, u.id, rest);
      return { userId: u.id, created: true };
    },
    async enrich(accountId, userId, list, profile) {
      await claimAll(accountId, userId, list);
      const key = userKey(accountId, userId);
      if (profile.name) await users.updateOne({ _id: key, name: null }, { $set: { name: profile.name } });
      if (profile.email) await users.updateOne({ _id: key, email: null }, { $set: { email: profile.email } });
    },
    async summary(accountId, p) {
      const dir = p.direction === 'asc' ? 1 : -1;
      const sort = Object.fromEntries(SORT[p.orderBy].map((f) => [f, dir])) as Record<string, 1 | -1>;
      const filter = { account_id: accountId, risk_rank: { $gt: 0 } };
      const docs = await users.find(filter).sort(sort).skip((p.page - 1) * p.perPage).limit(p.perPage).toArray();
      return { users: docs.map(toUserSummary), total: await users.countDocuments(filter) };
    },
  };
}
