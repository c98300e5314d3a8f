/**
 * Runs `task` now, or right after the current run if one is under way; many kicks during a run
 * coalesce into one more run. Used to fan out risk changes the moment they are written.
 */
export function coalescingTrigger(task: () => Promise<unknown>, onError: (err: unknown) => void) {
  let running: Promise<void> | undefined;
  let again = false;
  const run = async () => {
    do {
      again = false;
      try {
        await task();
      } catch (err) {
        onError(err);
      }
    } while (again);
    running = undefined;
  };
  return {
    kick(): void {
      if (running) again = true;
      else running = run();
    },
    /** Resolves when no run is under way. */
    async idle(): Promise<void> {
      while (running) await running;
    },
  };
}
