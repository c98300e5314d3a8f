import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BareServer } from './bare-server.js';
import { processCpuMs } from './process-cpu.js';
import { BrokenRunError } from './report.js';

/** Starts a durable floor of `kind` (floor-process.ts) as a child process; resolves once it listens. */
export async function forkDurableFloor(kind: 'crowdstrike' | 'set-push', env: Record<string, string>): Promise<BareServer & { cpuMs(): number }> {
  const child = fork(fileURLToPath(new URL('./floor-process.js', import.meta.url)), [kind], {
    execArgv: [],
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('message', (m) => resolve(String(m)));
    child.once('exit', (code) => reject(new BrokenRunError(`the ${kind} durable floor exited (${code}) before listening`)));
  });
  return {
    url,
    /** CPU the floor process has used so far, ms (process-cpu.ts). */
    cpuMs: () => processCpuMs(child.pid),
    close: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill();
    }),
  };
}
