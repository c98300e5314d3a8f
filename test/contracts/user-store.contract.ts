import { randomUUID } from 'node:crypto';
import { applyEvent } from '../../src/domain/risk.js';
import type { Storage } from '../../src/storage/ports.js';
import { eachFreshStorage } from './fresh-storage.js';
import { aUser, anAccount, anEvent, at } from '../helpers/factories.js';

/** UserStore contract: runs unchanged against every adapter. */
export function describeUserStoreContract(name: string, makeStorage: () => Promise<Storage>): void {
  describe(`${name}: UserStore contract`, () => {
    let s: Storage;
    let a: string;
    eachFreshStorage(makeStorage, (storage, id) => {
      s = storage;
      a = id;
    });

    it('creates a user, unscored, and finds it by id and by each identifier', async () => {
      const u = aUser(a, { identifiers: [{ kind: 'email', value: 'jane@example.com' }, { kind: 'okta_user_id', value: '00u1' }] });
      await expect(s.users.create(u)).resolves.toEqual({ userId: u.id, created: true });
      const got = await s.users.get(a, u.id);
      expect(got).toMatchObject({ id: u.id, accountId: a, name: 'Jane Doe', email: u.email, level: 'unscored', eventCount: 0, lastEventAt: null, lastResetAt: null });
      expect(got?.identifiers).toEqual([{ kind: 'email', value: 'jane@example.com' }, { kind: 'okta_user_id', value: '00u1' }]);
      await expect(s.users.findByIdentifier(a, { kind: 'okta_user_id', value: '00u1' })).resolves.toBe(u.id);
      await expect(s.users.findByIdentifier(a, { kind: 'okta_user_id', value: '00u2' })).resolves.toBeNull();
    });

    it('is scoped to the account', async () => {
      const u = aUser(a);
      await s.users.create(u);
      const other = anAccount().id;
      await expect(s.users.get(other, u.id)).resolves.toBeNull();
      await expect(s.users.findByIdentifier(other, u.identifiers[0]!)).resolves.toBeNull();
    });

    it('a second creator of the same identity gets the first user, and no duplicate appears', async () => {
      const first = aUser(a, { identifiers: [{ kind: 'email', value: 'dup@example.com' }] });
      const second = aUser(a, { identifiers: [{ kind: 'email', value: 'dup@example.com' }] });
      await s.users.create(first);
      await expect(s.users.create(second)).resolves.toEqual({ userId: first.id, created: false });
      await expect(s.users.get(a, second.id)).resolves.toBeNull();
    });

    it('concurrent creators of one identity agree on one user', async () => {
      const users = Array.from({ length: 6 }, () => aUser(a, { identifiers: [{ kind: 'email', value: 'race@example.com' }] }));
      const results = await Promise.all(users.map((u) => s.users.create(u)));
      expect(new Set(results.map((r) => r.userId)).size).toBe(1);
      expect(results.filter((r) => r.created)).toHaveLength(1);
    });

    it('enrich adds unclaimed identifiers, never steals one, and fills only missing name and email', async () => {
      const jane = aUser(a, { name: null, email: null, identifiers: [{ kind: 'email', value: 'jane@example.com' }] });
      const john = aUser(a, { identifiers: [{ kind: 'upn', value: 'john@corp.example' }] });
      await s.users.create(jane);
      await s.users.create(john);
      await s.users.enrich(a, jane.id, [{ kind: 'upn', value: 'john@corp.example' }, { kind: 'windows_account', value: 'corp\\jane' }], { name: 'Jane', email: 'Jane@Example.com' });
      await s.users.enrich(a, jane.id, [], { name: 'Other Name', email: 'other@example.com' });
      const got = await s.users.get(a, jane.id);
      expect(got?.identifiers).toEqual([{ kind: 'email', value: 'jane@example.com' }, { kind: 'windows_account', value: 'corp\\jane' }]);
      expect(got).toMatchObject({ name: 'Jane', email: 'Jane@Example.com' });
      await expect(s.users.findByIdentifier(a, { kind: 'upn', value: 'john@corp.example' })).resolves.toBe(john.id);
    });

    it('finds an identifier claimed after a lookup missed it, and a claim made through enrich', async () => {
      const id = { kind: 'edr_user' as const, value: 'CORP\\LATE' };
      await expect(s.users.findByIdentifier(a, id)).resolves.toBeNull();
      const u = aUser(a, { identifiers: [id] });
      await s.users.create(u);
      await expect(s.users.findByIdentifier(a, id)).resolves.toBe(u.id);
      const more = { kind: 'upn' as const, value: 'late@corp.example' };
      await expect(s.users.findByIdentifier(a, more)).resolves.toBeNull();
      await s.users.enrich(a, u.id, [more], {});
      await expect(s.users.findByIdentifier(a, more)).resolves.toBe(u.id);
    });

    it('enrich fills a missing field when the other is set, and a repeat of what is known changes nothing', async () => {
      const u = aUser(a, { name: 'Known', email: null, identifiers: [{ kind: 'upn', value: 'known@corp.example' }] });
      await s.users.create(u);
      await s.users.enrich(a, u.id, [{ kind: 'upn', value: 'known@corp.example' }], { name: 'Known', email: null });
      expect(await s.users.get(a, u.id)).toMatchObject({ name: 'Known', email: null });
      await s.users.enrich(a, u.id, [], { name: 'Other', email: 'known@example.com' });
      expect(await s.users.get(a, u.id)).toMatchObject({ name: 'Known', email: 'known@example.com' });
      await s.users.enrich(a, u.id, [{ kind: 'upn', value: 'known@corp.example' }, { kind: 'iss_sub', value: 'https://idp.example 42' }], {});
      expect((await s.users.get(a, u.id))?.identifiers).toEqual([
        { kind: 'iss_sub', value: 'https://idp.example 42' }, { kind: 'upn', value: 'known@corp.example' },
      ]);
    });

    it('summary lists only scored users, ordered and paged, with the total', async () => {
      const levels = ['low', 'high', 'medium'] as const;
      const ids: string[] = [];
      for (const [i, level] of levels.entries()) {
        const u = aUser(a);
        ids.push(u.id);
        await s.users.create(u);
        for (let n = 0; n <= i; n++) {
          await s.risk.recordEvent(
            anEvent(a, u.id, { riskLevel: level, occurredAt: at(`2026-03-0${i + 1}T10:00:0${n}.000Z`) }),
            (st, e) => applyEvent(st, e, null, at('2026-04-01T00:00:00.000Z')),
          );
        }
      }
      await s.users.create(aUser(a)); // unscored: never listed
      const page = (orderBy: 'timestamp' | 'event_count' | 'max_risk_level', direction: 'asc' | 'desc', p = 1, perPage = 10) =>
        s.users.summary(a, { page: p, perPage, orderBy, direction });
      const byTime = await page('timestamp', 'desc');
      expect(byTime.total).toBe(3);
      expect(byTime.users.map((u) => u.id)).toEqual([ids[2], ids[1], ids[0]]);
      expect(byTime.users[0]).toMatchObject({ level: 'medium', eventCount: 3, lastEventAt: at('2026-03-03T10:00:02.000Z') });
      expect((await page('event_count', 'asc')).users.map((u) => u.eventCount)).toEqual([1, 2, 3]);
      expect((await page('max_risk_level', 'desc')).users.map((u) => u.level)).toEqual(['high', 'medium', 'low']);
      const second = await page('timestamp', 'desc', 2, 2);
      expect(second.users.map((u) => u.id)).toEqual([ids[0]]);
      expect(second.total).toBe(3);
      await expect(s.users.summary(randomUUID().slice(0, 8), { page: 1, perPage: 10, orderBy: 'timestamp', direction: 'desc' })).resolves.toEqual({ users: [], total: 0 });
    });
  });
}
