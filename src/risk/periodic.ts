import type { Logger } from '../observability/logger.js';

/** A background loop that runs `task` every `intervalMs` until stopped; failures are logged, not fatal. */
export interface Periodic {
  stop(): Promise<void>;
}

export function startPeriodic(name: string, intervalMs: number, task: () => Promise<unknown>, logger: Logger): Periodic {
  let running: Promise<unknown> | undefined;
  let stopped = false;
  const tick = () => {
    if (stopped || running) return;
    running = task()
      .catch((err: unknown) => logger.error(`${name} failed`, { error: err }))
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  setImmediate(tick);
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
