import type { Storage } from '../../src/storage/ports.js';
import { anAccount, aToken, at } from '../helpers/factories.js';

/** ApiTokenStore contract: runs unchanged against every adapter. */
export function describeApiTokenStoreContract(name: string, makeStorage: () => Promise<Storage>): void {
  describe(`${name}: ApiTokenStore contract`, () => {
    let s: Storage;
    let accountId: string;
    let otherAccountId: string;
    beforeEach(async () => {
      s = await makeStorage();
      const a = anAccount();
      const b = anAccount();
      await s.accounts.create(a);
      await s.accounts.create(b);
      accountId = a.id;
      otherAccountId = b.id;
    });
    afterEach(async () => {
      await s.close();
    });

    it('inserts a token and finds it by hash with every field', async () => {
      const t = aToken(accountId, { scopes: ['admin', 'risk:read'] });
      await s.apiTokens.insert(t);
      await expect(s.apiTokens.findByHash(t.tokenHash)).resolves.toEqual(t);
      await expect(s.apiTokens.findByHash('0'.repeat(64))).resolves.toBeNull();
    });

    it('rejects a second token with the same hash and keeps the first', async () => {
      const t = aToken(accountId);
      await s.apiTokens.insert(t);
      // Not `.rejects.toThrow()`: a native driver's error class can come from another jest realm.
      const outcome = await s.apiTokens.insert(aToken(accountId, { tokenHash: t.tokenHash })).then(
        () => 'stored',
        () => 'rejected',
      );
      expect(outcome).toBe('rejected');
      await expect(s.apiTokens.list(accountId)).resolves.toEqual([t]);
    });

    it('get is scoped to the account: another account sees null', async () => {
      const t = aToken(accountId);
      await s.apiTokens.insert(t);
      await expect(s.apiTokens.get(accountId, t.id)).resolves.toEqual(t);
      await expect(s.apiTokens.get(otherAccountId, t.id)).resolves.toBeNull();
      await expect(s.apiTokens.getById(t.id)).resolves.toEqual(t);
      await expect(s.apiTokens.getById('nope')).resolves.toBeNull();
    });

    it('lists only the account’s tokens, oldest first', async () => {
      const older = aToken(accountId, { createdAt: at('2026-01-01T00:00:00.000Z') });
      const newer = aToken(accountId, { createdAt: at('2026-02-01T00:00:00.000Z') });
      await s.apiTokens.insert(newer);
      await s.apiTokens.insert(older);
      await s.apiTokens.insert(aToken(otherAccountId));
      expect((await s.apiTokens.list(accountId)).map((t) => t.id)).toEqual([older.id, newer.id]);
      await expect(s.apiTokens.list('no-such-account')).resolves.toEqual([]);
    });

    it('revoke marks the token, keeps the first revocation time, and is scoped to the account', async () => {
      const t = aToken(accountId);
      await s.apiTokens.insert(t);
      await expect(s.apiTokens.revoke(otherAccountId, t.id, at('2026-03-01T00:00:00.000Z'))).resolves.toBe(false);
      await expect(s.apiTokens.get(accountId, t.id)).resolves.toMatchObject({ revokedAt: null });
      await expect(s.apiTokens.revoke(accountId, t.id, at('2026-03-01T00:00:00.000Z'))).resolves.toBe(true);
      await expect(s.apiTokens.revoke(accountId, t.id, at('2026-04-01T00:00:00.000Z'))).resolves.toBe(true);
      expect((await s.apiTokens.get(accountId, t.id))?.revokedAt).toEqual(at('2026-03-01T00:00:00.000Z'));
      await expect(s.apiTokens.revoke(accountId, 'unknown', at('2026-03-01T00:00:00.000Z'))).resolves.toBe(false);
    });

    it('touch never moves lastUsedAt backwards', async () => {
      const t = aToken(accountId);
      await s.apiTokens.insert(t);
      await s.apiTokens.touch(t.id, at('2026-05-01T00:00:00.000Z'));
      await s.apiTokens.touch(t.id, at('2026-04-01T00:00:00.000Z'));
      expect((await s.apiTokens.getById(t.id))?.lastUsedAt).toEqual(at('2026-05-01T00:00:00.000Z'));
      await expect(s.apiTokens.touch('unknown', at('2026-05-01T00:00:00.000Z'))).resolves.toBeUndefined();
    });

    it('upsert replaces hash, name and scopes of the same id and un-revokes it', async () => {
      const t = aToken(accountId, { id: `bootstrap-${accountId}` });
      await s.apiTokens.upsert(t);
      await s.apiTokens.revoke(accountId, t.id, at('2026-03-01T00:00:00.000Z'));
      const replaced = { ...t, tokenHash: 'f'.repeat(64), name: 'renamed', scopes: ['admin' as const] };
      await s.apiTokens.upsert(replaced);
      await expect(s.apiTokens.findByHash(t.tokenHash)).resolves.toBeNull();
      await expect(s.apiTokens.findByHash(replaced.tokenHash)).resolves.toMatchObject({
        id: t.id,
        name: 'renamed',
        scopes: ['admin'],
        revokedAt: null,
      });
      expect(await s.apiTokens.list(accountId)).toHaveLength(1);
    });
  });
}
