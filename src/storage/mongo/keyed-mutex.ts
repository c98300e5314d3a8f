/**
 * Serializes async work per key within this process. The MongoDB adapter runs each user's
 * compare-and-set writes through it: on MongoDB this only removes needless CAS retries, but some
 * MongoDB-compatible servers (FerretDB 1.x on SQLite) do not isolate concurrent updates of one
 * document at all, and there this is what keeps one instance from losing updates. Across
 * instances, user writes rest on the server's document-level atomicity (see docs/storage.md);
 * sequences and push leases do not (sequence.ts, outbox-leases.ts).
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  /** Runs `fn` after every earlier `run` with the same key has settled. */
  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const current = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => current);
    this.tails.set(key, tail);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      // Forget the key once nobody queued behind us, so the map does not grow with every user.
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
