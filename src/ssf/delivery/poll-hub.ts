/**
 * In-process wake-ups for long polls (RFC 8936 §2.5): a poll waiting on a stream returns as soon
 * as a SET is queued for it. Across instances the waiters also re-check the store every second,
 * so an event queued by another instance is found without a shared bus.
 */
export class PollHub {
  private readonly waiters = new Map<string, Set<() => void>>();
  private isClosing = false;

  /** True once shutdown began. */
  get closing(): boolean {
    return this.isClosing;
  }

  /** Resolves when `key` is woken, after `ms`, or on shutdown. */
  wait(key: string, ms: number): Promise<void> {
    if (this.isClosing) return Promise.resolve();
    return new Promise((resolve) => {
      const set = this.waiters.get(key) ?? new Set();
      this.waiters.set(key, set);
      const done = () => {
        clearTimeout(timer);
        set.delete(done);
        if (!set.size && this.waiters.get(key) === set) this.waiters.delete(key);
        resolve();
      };
      const timer = setTimeout(done, ms);
      set.add(done);
    });
  }

  wake(key: string): void {
    for (const w of [...(this.waiters.get(key) ?? [])]) w();
  }

  /** Releases every waiter (graceful shutdown: long polls answer at once). */
  close(): void {
    this.isClosing = true;
    for (const set of [...this.waiters.values()]) for (const w of [...set]) w();
  }
}

export const streamKey = (accountId: string, streamId: string) => `${accountId}/${streamId}`;
