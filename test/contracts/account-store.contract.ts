import type { Storage } from '../../src/storage/ports.js';
import { anAccount } from '../helpers/factories.js';

/** AccountStore contract: runs unchanged against every adapter. */
export function describeAccountStoreContract(name: string, makeStorage: () => Promise<Storage>): void {
  describe(`${name}: AccountStore contract`, () => {
    let s: Storage;
    beforeEach(async () => {
      s = await makeStorage();
    });
    afterEach(async () => {
      await s.close();
    });

    it('creates an account and reads it back with every field', async () => {
      const a = anAccount({ name: 'Acme Corp' });
      await expect(s.accounts.create(a)).resolves.toBe(true);
      await expect(s.accounts.get(a.id)).resolves.toEqual(a);
    });

    it('create is idempotent by id: the second call returns false and keeps the first record', async () => {
      const a = anAccount({ name: 'first' });
      await s.accounts.create(a);
      await expect(s.accounts.create({ ...a, name: 'second' })).resolves.toBe(false);
      await expect(s.accounts.get(a.id)).resolves.toMatchObject({ name: 'first' });
    });

    it('concurrent creates of one id: exactly one wins', async () => {
      const a = anAccount();
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => s.accounts.create({ ...a, name: `n${i}` })));
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it('updates settings; false for an unknown account', async () => {
      const a = anAccount();
      await s.accounts.create(a);
      await expect(s.accounts.updateSettings(a.id, { decayWindowSeconds: 3600, ssfDefaultSubjects: 'NONE' })).resolves.toBe(true);
      expect((await s.accounts.get(a.id))?.settings).toEqual({ decayWindowSeconds: 3600, ssfDefaultSubjects: 'NONE' });
      await expect(s.accounts.updateSettings(a.id, { decayWindowSeconds: null, ssfDefaultSubjects: 'ALL' })).resolves.toBe(true);
      expect((await s.accounts.get(a.id))?.settings).toEqual({ decayWindowSeconds: null, ssfDefaultSubjects: 'ALL' });
      await expect(s.accounts.updateSettings('missing-account', { decayWindowSeconds: 60, ssfDefaultSubjects: 'ALL' })).resolves.toBe(false);
    });

    it('get returns null for an unknown id', async () => {
      await expect(s.accounts.get('does-not-exist')).resolves.toBeNull();
    });

    it('lists accounts ordered by id', async () => {
      const ids = ['zeta', 'alpha', 'mid'].map((x) => `${x}-${anAccount().id}`);
      for (const id of ids) await s.accounts.create(anAccount({ id }));
      const listed = (await s.accounts.list()).map((a) => a.id).filter((id) => ids.includes(id));
      expect(listed).toEqual([...ids].sort());
    });
  });
}
