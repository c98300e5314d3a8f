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
/** A batch runner that records each batch with when it started (ms since the recorder was made). */
function timedRecorder() {
  const seen: Array<{ batch: number[]; at: number }> = [];
  const t0 = Date.now();
  return { seen, t0, run: async (b: number[]) => void seen.push({ batch: [...b], at: Date.now() - t0 }) };
}
const quiet = { onError: () => undefined };

describe('scoringQueue', () => {
  it('takes the items queued in one turn as one batch', async () => {
    const seen: number[][] = [];
    const q = scoringQueue<number>(async (b) => void seen.push([...b]), { maxBatch: 100, maxQueued: 1000, ...quiet });
    await Promise.all([q.add(1, 1), q.add(2, 1), q.add(3, 1)]);
    await q.idle();
    expect(seen).toEqual([[1, 2, 3]]);
  });

  it('takes what arrived while a batch ran as the next batch, in arrival order', async () => {
    const r = gatedRunner();
    const q = scoringQueue<number>(r.run, { maxBatch: 100, maxQueued: 1000, ...quiet });
    await q.add(1, 1);
    await turn();
    expect(r.batches).toEqual([[1]]);
    await q.add(2, 1);
    await q.add(3, 1);
    await turn();
    await q.add(4, 1);
    expect(r.batches).toEqual([[1]]); // one batch at a time
    await r.release();
    expect(r.batches).toEqual([[1], [2, 3, 4]]);
    await r.release();
    await q.idle();
  });

  it('with gatherMs, a batch waits that long for more items to join it', async () => {
    const { seen, run } = timedRecorder();
    const q = scoringQueue<number>(run, { maxBatch: 100, maxQueued: 1000, gatherMs: 120, ...quiet });
    await q.add(1, 1);
    await new Promise((r) => setTimeout(r, 40));
    await q.add(2, 1); // a later turn, within the wait: joins the same batch
    await q.idle();
    expect(seen.map((s) => s.batch)).toEqual([[1, 2]]);
    expect(seen[0]!.at).toBeGreaterThanOrEqual(100);
  });

  it('with gatherMs, a full batch starts at once', async () => {
    const { seen, run } = timedRecorder();
    const q = scoringQueue<number>(run, { maxBatch: 3, maxQueued: 1000, gatherMs: 1000, ...quiet });
    await q.add(1, 1);
    await turn();
    await q.add(2, 1);
    await q.add(3, 1);
    await q.add(4, 1);
    await new Promise((r) => setTimeout(r, 50));
    expect(seen.map((s) => s.batch)).toEqual([[1, 2, 3]]);
    await q.idle(); // the rest waits its gathering time, then runs
    expect(seen.map((s) => s.batch)).toEqual([[1, 2, 3], [4]]);
  });

  it('with gatherMs, a queue full by weight starts its batch at once (held adds do not wait out the gathering)', async () => {
    const { seen, t0, run } = timedRecorder();
    const q = scoringQueue<number>(run, { maxBatch: 100, maxQueued: 10, gatherMs: 2000, ...quiet });
    await q.add(1, 6);
    await turn();
    await q.add(2, 4); // now full by weight: 10 of 10
    const held = q.add(3, 5); // held until the batch leaves
    await held;
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(seen.map((s) => s.batch)).toEqual([[1, 2]]);
    await q.idle();
    expect(seen.map((s) => s.batch)).toEqual([[1, 2], [3]]);
  });

  it('with gatherMs, items left over from a full batch wait only what remains of their own wait', async () => {
    const runs: Array<{ batch: number[]; start: number; end: number }> = [];
    const t0 = Date.now();
    const q = scoringQueue<number>(async (b) => {
      const start = Date.now() - t0;
      await new Promise((r) => setTimeout(r, 400)); // a long batch: longer than the wait
      runs.push({ batch: [...b], start, end: Date.now() - t0 });
    }, { maxBatch: 2, maxQueued: 1000, gatherMs: 300, ...quiet });
    await Promise.all([q.add(1, 1), q.add(2, 1), q.add(3, 1)]);
    await q.idle();
    expect(runs.map((r) => r.batch)).toEqual([[1, 2], [3]]);
    expect(runs[0]!.start).toBeLessThan(150); // full: at once
    expect(runs[1]!.start - runs[0]!.end).toBeLessThan(150); // 3 waited through the first run already
  });

  it('splits a backlog into batches of at most maxBatch', async () => {
    const seen: number[][] = [];
    const q = scoringQueue<number>(async (b) => void seen.push([...b]), { maxBatch: 2, maxQueued: 1000, ...quiet });
    for (let i = 1; i <= 5; i++) await q.add(i, 1);
    await q.idle();
    expect(seen).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('holds an add while maxQueued weight waits, and admits the held ones in arrival order as batches leave', async () => {
    const r = gatedRunner();
    const q = scoringQueue<number>(r.run, { maxBatch: 100, maxQueued: 3, ...quiet });
    await q.add(1, 1);
    await turn(); // 1 runs; nothing waits
    await q.add(2, 2);
    const admitted: number[] = [];
    const held = [q.add(3, 2).then(() => admitted.push(3)), q.add(4, 1).then(() => admitted.push(4))];
    await turn();
    expect(admitted).toEqual([]); // 2 + 2 > 3, and 4 may not overtake 3
    await r.release(); // [2] leaves the queue: 3 and 4 fit
    await Promise.all(held);
    expect(admitted).toEqual([3, 4]);
    expect(r.batches).toEqual([[1], [2]]);
    await r.release();
    expect(r.batches).toEqual([[1], [2], [3, 4]]);
    await r.release();
    await q.idle();
  });

  it('takes an item heavier than the bound once the queue is empty', async () => {
    const seen: number[][] = [];
    const q = scoringQueue<number>(async (b) => void seen.push([...b]), { maxBatch: 100, maxQueued: 2, ...quiet });
    await q.add(1, 50);
    await q.idle();
    expect(seen).toEqual([[1]]);
  });

  it('reports a failed batch and goes on with the next, even when the reporter throws', async () => {
    const errors: unknown[] = [];
    const seen: number[][] = [];
    const q = scoringQueue<number>(async (b) => {
      seen.push([...b]);
      if (b.includes(1)) throw new Error('store down');
    }, { maxBatch: 1, maxQueued: 1000, onError: (e) => {
      errors.push(e);
      throw new Error('reporter down');
    } });
    await q.add(1, 1);
    await q.add(2, 1);
    await q.idle();
    expect(seen).toEqual([[1], [2]]);
    expect(errors).toEqual([new Error('store down')]);
    await q.add(3, 1);
    await q.idle();
    expect(seen).toEqual([[1], [2], [3]]);
  });

  it('idle waits for queued and running work, and a later add starts again', async () => {
    const r = gatedRunner();
    const q = scoringQueue<number>(r.run, { maxBatch: 100, maxQueued: 1000, ...quiet });
    await q.add(1, 1);
    let idle = false;
    const waiting = q.idle().then(() => (idle = true));
    await turn();
    expect(idle).toBe(false);
    await r.release();
    await waiting;
    expect(idle).toBe(true);
    await q.add(2, 1);
    await turn();
    expect(r.batches).toEqual([[1], [2]]);
    await r.release();
    await q.idle();
  });
});
