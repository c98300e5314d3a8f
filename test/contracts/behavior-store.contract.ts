import type { CatalogBehavior } from '../../src/domain/behavior.js';
import type { Storage } from '../../src/storage/ports.js';
import { eachFreshStorage } from './fresh-storage.js';
import { anAccount, at } from '../helpers/factories.js';

const CATALOG: CatalogBehavior[] = [
  { id: 'imp_travel', name: 'Impossible Travel', description: 'd1', riskLevel: 'high' },
  { id: 'high_dlp', name: 'High DLP', description: 'd2', riskLevel: 'medium' },
];

/** BehaviorStore contract: runs unchanged against every adapter. */
export function describeBehaviorStoreContract(name: string, makeStorage: () => Promise<Storage>): void {
  describe(`${name}: BehaviorStore contract`, () => {
    let s: Storage;
    let a: string;
    eachFreshStorage(makeStorage, (storage, id) => {
      s = storage;
      a = id;
    });

    it('seeds the catalog disabled, ordered by id, and re-seeding changes nothing', async () => {
      await s.behaviors.seed(a, CATALOG, at('2026-01-01T00:00:00.000Z'));
      await s.behaviors.update(a, [{ id: 'imp_travel', enabled: true, riskLevel: 'low' }], at('2026-01-02T00:00:00.000Z'));
      await s.behaviors.seed(a, CATALOG, at('2026-01-03T00:00:00.000Z'));
      const list = await s.behaviors.list(a);
      expect(list.map((b) => [b.id, b.enabled, b.riskLevel, b.custom])).toEqual([
        ['high_dlp', false, 'medium', false],
        ['imp_travel', true, 'low', false],
      ]);
      expect(list[1]).toMatchObject({ accountId: a, name: 'Impossible Travel', description: 'd1', updatedAt: at('2026-01-02T00:00:00.000Z') });
    });

    it('update is all-or-nothing: an unknown id is reported and nothing changes', async () => {
      await s.behaviors.seed(a, CATALOG, at('2026-01-01T00:00:00.000Z'));
      const missing = await s.behaviors.update(a, [
        { id: 'imp_travel', enabled: true, riskLevel: 'high' },
        { id: 'nope', enabled: true, riskLevel: 'high' },
      ], at('2026-01-02T00:00:00.000Z'));
      expect(missing).toEqual(['nope']);
      expect((await s.behaviors.get(a, 'imp_travel'))?.enabled).toBe(false);
      // No change at all (Cloudflare's PUT with an empty map) is valid and changes nothing.
      await expect(s.behaviors.update(a, [], at('2026-01-03T00:00:00.000Z'))).resolves.toEqual([]);
      expect((await s.behaviors.get(a, 'imp_travel'))?.updatedAt).toEqual(at('2026-01-01T00:00:00.000Z'));
    });

    it('is scoped to the account', async () => {
      const b = anAccount().id;
      await s.behaviors.seed(a, CATALOG, at('2026-01-01T00:00:00.000Z'));
      await expect(s.behaviors.list(b)).resolves.toEqual([]);
      await expect(s.behaviors.get(b, 'imp_travel')).resolves.toBeNull();
      await expect(s.behaviors.update(b, [{ id: 'imp_travel', enabled: true, riskLevel: 'high' }], at('2026-01-02T00:00:00.000Z'))).resolves.toEqual(['imp_travel']);
    });

    it('custom behaviors: create, replace, delete; catalog ones can be neither replaced nor deleted', async () => {
      await s.behaviors.seed(a, CATALOG, at('2026-01-01T00:00:00.000Z'));
      const custom = { accountId: a, id: 'vip_login', name: 'VIP login', description: 'x', enabled: true, riskLevel: 'low' as const, custom: true, updatedAt: at('2026-01-05T00:00:00.000Z') };
      await expect(s.behaviors.putCustom(custom)).resolves.toBe(true);
      await expect(s.behaviors.putCustom({ ...custom, name: 'VIP', riskLevel: 'medium' })).resolves.toBe(true);
      await expect(s.behaviors.get(a, 'vip_login')).resolves.toEqual({ ...custom, name: 'VIP', riskLevel: 'medium' });
      await expect(s.behaviors.putCustom({ ...custom, id: 'imp_travel' })).resolves.toBe(false);
      expect((await s.behaviors.get(a, 'imp_travel'))?.name).toBe('Impossible Travel');
      await expect(s.behaviors.deleteCustom(a, 'imp_travel')).resolves.toBe('not_custom');
      await expect(s.behaviors.deleteCustom(a, 'vip_login')).resolves.toBe('deleted');
      await expect(s.behaviors.deleteCustom(a, 'vip_login')).resolves.toBe('not_found');
    });
  });
}
