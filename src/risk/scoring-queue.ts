/**
 * Scoring that follows an answer (webhook deliveries, pushed SETs: stored, queued here, answered,
 * then scored), run in batches: whatever is queued while a batch runs is taken together by the
 * next one, and a batch waits `gatherMs` (RISKWIRE_SCORING_BATCH_WAIT_MS) for more to join it
 * unless `maxBatch` are already queued. A batch of many deliveries costs one engine call per
 * account, one group commit for their outcomes and one fan-out pass, not one of each per
 * delivery: those fixed costs were most of a webhook event's scoring when batches ran back to
 * back (a few events each; docs/benchmarks.md, sources, session 6). Without `gatherMs`, an item
 * queued while idle starts in the next turn (with whatever else that turn queued).
 *
 * Bounded by weight (events or SETs, not deliveries): while `maxQueued` wait, `add` waits for
 * room, in arrival order, so the caller's answer waits too — backpressure on the sender, with
 * nothing refused and no item overtaking another. Nothing here is durable: the items were stored
 * before they were queued, and the owner's recovery sweep scores what a crash left behind.
 */
export interface ScoringQueue<T> {
  /** Resolves once `item` is queued (at once unless `maxQueued` already wait). */
  add(item: T, weight: number): Promise<void>;
  /** Resolves once nothing is queued or running (shutdown). */
  idle(): Promise<void>;
}

export function scoringQueue<T>(
  run: (batch: T[]) => Promise<void>,
  opts: { maxBatch: number; maxQueued: number; onError: (err: unknown) => void; gatherMs?: number },
): ScoringQueue<T> {
  /** `at`: when the item was queued — a batch waits from its oldest item's arrival, not from its own start. */
  let queued: Array<{ item: T; weight: number; at: number }> = [];
  let weight = 0;
  const waiting: Array<{ item: T; weight: number; admit: () => void }> = [];
  let running: Promise<void> | undefined;
  /**
   * Whether the next batch should wait for more: not once a full batch is queued, nor while the
   * queue is full by weight (adds are held then: waiting would only delay them).
   */
  const gathering = () => Boolean(opts.gatherMs) && queued.length < opts.maxBatch && weight < opts.maxQueued && !waiting.length;
  /** Ends the current gathering early (a full batch is queued, or the queue is full). */
  let gathered: (() => void) | undefined;
  /**
   * Waits until the oldest queued item has waited `gatherMs` (items left over from a full batch
   * have already waited through its run), or until a full batch is queued.
   */
  const gather = () => new Promise<void>((resolve) => {
    const left = (opts.gatherMs ?? 0) - (Date.now() - queued[0]!.at);
    if (left <= 0) return resolve();
    const done = () => {
      clearTimeout(timer);
      gathered = undefined;
      resolve();
    };
    const timer = setTimeout(done, left);
    gathered = done;
  });

  /** Admits waiters in arrival order while there is room (an item heavier than the bound alone, once the queue is empty). */
  const admit = () => {
    while (waiting.length && (weight + waiting[0]!.weight <= opts.maxQueued || queued.length === 0)) {
      const w = waiting.shift()!;
      enqueue(w.item, w.weight);
      w.admit();
    }
  };
  const enqueue = (item: T, w: number) => {
    queued.push({ item, weight: w, at: Date.now() });
    weight += w;
    if (gathered && !gathering()) gathered();
    running ??= loop();
  };
  const loop = async () => {
    try {
      // Started from setImmediate: the items of the turn that queued the first one come along.
      await new Promise((resolve) => setImmediate(resolve));
      while (queued.length) {
        if (gathering()) await gather();
        const batch = queued.length > opts.maxBatch ? queued.splice(0, opts.maxBatch) : queued;
        if (batch === queued) queued = [];
        for (const b of batch) weight -= b.weight;
        admit();
        try {
          await run(batch.map((b) => b.item));
        } catch (err) {
          try {
            opts.onError(err);
          } catch {
            // A failing error reporter must not stop the queue.
          }
        }
      }
    } finally {
      running = undefined;
    }
  };
  return {
    add(item, w) {
      if (!waiting.length && (weight + w <= opts.maxQueued || queued.length === 0)) {
        enqueue(item, w);
        return Promise.resolve();
      }
      return new Promise<void>((resolve) => {
        waiting.push({ item, weight: w, admit: resolve });
        gathered?.(); // someone waits for room: the gathering batch starts now
      });
    },
    async idle() {
      while (running || waiting.length) await (running ?? new Promise((r) => setImmediate(r)));
    },
  };
}
