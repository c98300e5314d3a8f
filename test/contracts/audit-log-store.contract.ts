import type { Storage } from '../../src/storage/ports.js';
import { eachFreshStorage } from './fresh-storage.js';
import { anAccount, anAuditEntry, at } from '../helpers/factories.js';

/** AuditLogStore contract: runs unchanged against every adapter. */
export function describeAuditLogStoreContract(name: string, makeStorage: () => Promise<Storage>): void {
  describe(`${name}: AuditLogStore contract`, () => {
    let s: Storage;
    let accountId: string;
    eachFreshStorage(makeStorage, (storage, id) => {
      s = storage;
      accountId = id;
    });

    it('appends entries and lists them newest first with every field', async () => {
      const first = anAuditEntry(accountId, { at: at('2026-01-01T00:00:00.000Z'), details: { n: 1, nested: { a: [1, 2] } } });
      const second = anAuditEntry(accountId, { at: at('2026-01-02T00:00:00.000Z'), target: null });
      await s.auditLog.append(first);
      await s.auditLog.append(second);
      await expect(s.auditLog.list(accountId)).resolves.toEqual([second, first]);
    });

    it('keeps insertion order for entries in the same millisecond', async () => {
      const same = at('2026-01-01T00:00:00.000Z');
      const entries = [1, 2, 3].map((n) => anAuditEntry(accountId, { at: same, details: { n } }));
      for (const e of entries) await s.auditLog.append(e);
      expect((await s.auditLog.list(accountId)).map((e) => e.details.n)).toEqual([3, 2, 1]);
    });

    it('append is idempotent by id', async () => {
      const e = anAuditEntry(accountId);
      await s.auditLog.append(e);
      await s.auditLog.append({ ...e, action: 'changed' });
      await expect(s.auditLog.list(accountId)).resolves.toEqual([e]);
    });

    it('is scoped to the account and honours limit', async () => {
      for (let i = 0; i < 5; i++) await s.auditLog.append(anAuditEntry(accountId));
      await s.auditLog.append(anAuditEntry(anAccount().id));
      expect(await s.auditLog.list(accountId, { limit: 3 })).toHaveLength(3);
      expect(await s.auditLog.list(accountId)).toHaveLength(5);
      await expect(s.auditLog.list('nobody')).resolves.toEqual([]);
    });
  });
}
