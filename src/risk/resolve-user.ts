import { randomUUID } from 'node:crypto';
import type { Clock } from '../domain/clock.js';
import { issSubIdentifier, normalizeIdentifier, type UserIdentifier } from '../domain/user.js';
import type { Storage } from '../storage/ports.js';
import type { SignalUser } from './signal.js';

/** The identifiers a signal carries, normalized, email first, without repeats. */
export function identifiersOf(u: SignalUser): UserIdentifier[] {
  const out: UserIdentifier[] = [];
  if (u.email) out.push({ kind: 'email', value: normalizeIdentifier('email', u.email) });
  for (const i of u.identifiers ?? []) {
    out.push('iss' in i ? issSubIdentifier(i.iss, i.sub) : { kind: i.kind, value: normalizeIdentifier(i.kind, i.value) });
  }
  const seen = new Set<string>();
  return out.filter((i) => {
    const k = `${i.kind}\u0000${i.value}`;
    return seen.has(k) ? false : (seen.add(k), true);
  });
}

/** What resolving one user reads: the user (null: a user id that does not exist), and the write it then needs. */
interface Resolution {
  readonly userId: string | null;
  /** Creates or enriches the user; resolves with the user's id (another's, when a creator raced). */
  readonly write?: () => Promise<string>;
}

/**
 * Maps a signal's user to one riskwire user: our UUID, else the email (case-insensitive), else
 * the first known identifier; an unknown user is created with a UUIDv4 and every identifier
 * seen. A known user learns identifiers nobody else holds. Reads only: the write is returned
 * (`resolveUsers` issues it).
 */
async function plan(storage: Storage, accountId: string, u: SignalUser, now: Clock): Promise<Resolution> {
  const ids = identifiersOf(u);
  const profile = { name: u.name ?? null, email: u.email ?? null };
  if (u.id) {
    const user = await storage.users.get(accountId, u.id);
    if (!user) return { userId: null };
    if (!ids.length && !u.name) return { userId: user.id };
    return {
      userId: user.id,
      write: async () => {
        await storage.users.enrich(accountId, user.id, ids, profile);
        return user.id;
      },
    };
  }
  for (const i of ids) {
    const found = await storage.users.findByIdentifier(accountId, i);
    if (found) {
      const others = ids.filter((x) => x !== i);
      if (!others.length && !u.name && !u.email) return { userId: found };
      return {
        userId: found,
        write: async () => {
          await storage.users.enrich(accountId, found, others, profile);
          return found;
        },
      };
    }
  }
  const id = randomUUID();
  return {
    userId: id,
    write: async () => (await storage.users.create({ accountId, id, ...profile, identifiers: ids, createdAt: now() })).userId,
  };
}

/**
 * Resolves the users of a batch with the outcome of resolving them one at a time, in order, but
 * in waves (`resolutionWaves`): a wave's lookups run together, then its writes are issued in
 * input order — those for one user one after another, so the first signal's name or email is
 * the one kept — and the new users of a wave share one group commit.
 */
export async function resolveUsers(storage: Storage, accountId: string, users: readonly SignalUser[], now: Clock): Promise<Array<string | null>> {
  const out: Array<string | null> = [];
  for (const wave of resolutionWaves(users, (u) => u)) {
    const plans = await Promise.all(wave.map((u) => plan(storage, accountId, u, now)));
    const lastWrite = new Map<string, Promise<string>>();
    out.push(...(await Promise.all(plans.map((p) => {
      if (!p.write || p.userId === null) return p.userId;
      const write = p.write;
      const next = (lastWrite.get(p.userId) ?? Promise.resolve('')).then(() => write());
      lastWrite.set(p.userId, next);
      return next;
    }))));
  }
  return out;
}

/**
 * Splits items, in order, into runs ("waves") whose users can be resolved at once: no two items of
 * a wave name the same user id or identifier. An item naming something an earlier item of the
 * current wave names starts the next wave, so every resolution still sees the users and
 * identifiers the items before it created, exactly as one at a time — but the new users of a
 * wave are created in one group commit instead of one commit (and one event-loop turn) each.
 */
export function resolutionWaves<T>(items: readonly T[], userOf: (item: T) => SignalUser): T[][] {
  const waves: T[][] = [];
  let wave: T[] = [];
  let named = new Set<string>();
  for (const item of items) {
    const u = userOf(item);
    const keys = identifiersOf(u).map((i) => `${i.kind}\u0000${i.value}`);
    if (u.id) keys.push(`id\u0000${u.id}`);
    if (keys.some((k) => named.has(k))) {
      waves.push(wave);
      wave = [];
      named = new Set();
    }
    wave.push(item);
    for (const k of keys) named.add(k);
  }
  if (wave.length) waves.push(wave);
  return waves;
}
