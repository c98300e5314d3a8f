import { revisionCache } from '../../src/storage/revision-cache.js';

/**
 * The cache labels what it keeps with the revision of what it loaded: confirming writes
 * (SourceStore.recordDelivery, ReceivedSetStore.insert) accept exactly what was kept under it.
 * A record is a value whose revision is part of it, changed between reads by `during`.
 */
function record(initial: string) {
  let current = initial;
  let during: (() => void) | undefined;
  let loads = 0;
  const cache = revisionCache<string>({
    revision: async () => current,
    load: async () => {
      loads++;
      const value = `data of ${current}`;
      const f = during;
      during = undefined;
      f?.();
      return value;
    },
  });
  return { cache, set: (r: string) => { current = r; }, onNextLoad: (f: () => void) => { during = f; }, loads: () => loads };
}

describe('revision cache', () => {
  it('a record that changes while it is loaded is loaded again, never kept under the revision read before it', async () => {
    const r = record('A');
    r.onNextLoad(() => r.set('B'));
    // Loaded as A's data while the record became B: kept as B's, after loading B.
    expect(await r.cache.read('acme', 'x')).toEqual({ revision: 'B', value: 'data of B' });
    expect(r.loads()).toBe(2);
    // Changed back to A: A is loaded, not the entry kept for B.
    r.set('A');
    expect(await r.cache.read('acme', 'x')).toEqual({ revision: 'A', value: 'data of A' });
    expect(r.cache.kept('acme', 'x')).toEqual({ revision: 'A', value: 'data of A' });
  });

  it('kept while the revision stays: the same entry, no load', async () => {
    const r = record('A');
    const first = await r.cache.read('acme', 'x');
    expect(await r.cache.read('acme', 'x')).toBe(first);
    expect(r.cache.kept('acme', 'x')).toBe(first);
    expect(r.loads()).toBe(1);
  });

  it('a record that keeps changing under every load is refused with 503, not kept', async () => {
    const r = record('A');
    let n = 0;
    const churn = () => {
      r.set(`R${++n}`);
      r.onNextLoad(churn);
    };
    r.onNextLoad(churn);
    await expect(r.cache.read('acme', 'x')).rejects.toMatchObject({ status: 503 });
    expect(r.cache.kept('acme', 'x')).toBeUndefined();
  });
});
