import { scoringQueue } from '../../src/risk/scoring-queue.js';

/** A batch runner that records its batches and finishes only when told to. */
function gatedRunner() {
  const batches: number[][] = [];
  const gates: Array<() => void> = [];
  return {
    batches,
    run: (batch: number[]) => {
      batches.push([...batch]);
      return new Promise<void>((resolve) => gates.push(resolve));
    },
    /** Lets the oldest running batch finish, then waits until the queue has had its turn. */
    async release() {
      gates.shift()?.();
      await new Promise((r) => setImmediate(r));
    },
  };
}
const turn = () => new Promise((r) => setImmediate(r));

describe('scoringQueue', () => {
  it('takes the items queued in one turn as one batch', async () => {
    const seen: number[][] = [];
    const q = scoringQueue<number>(async (b) => void seen.push([...b]), { maxBatch: 100, maxQueued: 1000, onError: () => undefined });
    q.add(1);
    q.add(2);
    q.add(3);
    await q.idle();
    expect(seen).toEqual([[1, 2, 3]]);
  });

  it('takes what arrived while a batch ran as the next batch, in arrival order', async () => {
    const r = gatedRunner();
    const q = scoringQueue<number>(r.run, { maxBatch: 100, maxQueued: 1000, onError: () => undefined });
    q.add(1);
    await turn();
    expect(r.batches).toEqual([[1]]);
    q.add(2);
    q.add(3);
    await turn();
    q.add(4);
    expect(r.batches).toEqual([[1]]); // one batch at a time
    await r.release();
    expect(r.batches).toEqual([[1], [2, 3, 4]]);
    await r.release();
    await q.idle();
  });

  it('splits a backlog into batches of at most maxBatch', async () => {
    const seen: number[][] = [];
    const q = scoringQueue<number>(async (b) => void seen.push([...b]), { maxBatch: 2, maxQueued: 1000, onError: () => undefined });
    for (let i = 1; i <= 5; i++) q.add(i);
    await q.idle();
    expect(seen).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('refuses items while maxQueued wait (they stay in the store for recovery), and takes them again once there is room', async () => {
    const r = gatedRunner();
    const q = scoringQueue<number>(r.run, { maxBatch: 100, maxQueued: 2, onError: () => undefined });
    expect(q.add(1)).toBe(true);
    await turn(); // 1 runs; nothing waits
    expect([q.add(2), q.add(3), q.add(4)]).toEqual([true, true, false]);
    await r.release();
    expect(r.batches).toEqual([[1], [2, 3]]);
    expect(q.add(5)).toBe(true);
    await r.release();
    await r.release();
    await q.idle();
    expect(r.batches).toEqual([[1], [2, 3], [5]]);
  });

  it('reports a failed batch and goes on with the next', async () => {
    const errors: unknown[] = [];
    const seen: number[][] = [];
    const q = scoringQueue<number>(async (b) => {
      seen.push([...b]);
      if (b.includes(1)) throw new Error('store down');
    }, { maxBatch: 1, maxQueued: 1000, onError: (e) => errors.push(e) });
    q.add(1);
    q.add(2);
    await q.idle();
    expect(seen).toEqual([[1], [2]]);
    expect(errors).toEqual([new Error('store down')]);
  });

  it('idle waits for queued and running work, and a later add starts again', async () => {
    const r = gatedRunner();
    const q = scoringQueue<number>(r.run, { maxBatch: 100, maxQueued: 1000, onError: () => undefined });
    q.add(1);
    let idle = false;
    const waiting = q.idle().then(() => (idle = true));
    await turn();
    expect(idle).toBe(false);
    await r.release();
    await waiting;
    expect(idle).toBe(true);
    q.add(2);
    await turn();
    expect(r.batches).toEqual([[1], [2]]);
    await r.release();
    await q.idle();
  });
});
