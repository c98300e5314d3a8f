/**
 * Scoring that follows an answer already given (webhook deliveries, pushed SETs: stored, answered,
 * then scored), run in batches: whatever is queued while a batch runs is taken together by the
 * next one. Under load one batch carries many deliveries, so they cost one engine call per
 * account, one group commit for their outcomes and one fan-out pass, not one of each per
 * delivery; when idle, an item starts in the next turn (with whatever else that turn queued).
 *
 * Nothing here is durable: the items were stored before they were queued, and the owner's
 * recovery sweep scores what a crash left behind.
 */
export interface ScoringQueue<T> {
  /**
   * Queues `item`, or refuses it (false) while `maxQueued` items wait: under sustained overload
   * the backlog stays in the store, where the owner's recovery sweep finds it, not in memory.
   */
  add(item: T): boolean;
  /** Resolves once nothing is queued or running (shutdown). */
  idle(): Promise<void>;
}

export function scoringQueue<T>(run: (batch: T[]) => Promise<void>, opts: { maxBatch: number; maxQueued: number; onError: (err: unknown) => void }): ScoringQueue<T> {
  let queued: T[] = [];
  let running: Promise<void> | undefined;
  const loop = async () => {
    // Started from setImmediate: the items of the turn that queued the first one come along.
    await new Promise((resolve) => setImmediate(resolve));
    while (queued.length) {
      const batch = queued.length > opts.maxBatch ? queued.splice(0, opts.maxBatch) : queued;
      if (batch === queued) queued = [];
      try {
        await run(batch);
      } catch (err) {
        opts.onError(err);
      }
    }
    running = undefined;
  };
  return {
    add(item) {
      if (queued.length >= opts.maxQueued) return false;
      queued.push(item);
      running ??= loop();
      return true;
    },
    async idle() {
      while (running) await running;
    },
  };
}
