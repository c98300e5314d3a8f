/**
 * `npm run bench -- <name>`: runs one benchmark. Each entry lazily imports `bench/<name>.ts`,
 * whose `run()` prints its report to stdout. To add a benchmark, add one line to BENCHMARKS.
 */
import { BrokenRunError } from './lib/report.js';

interface Benchmark {
  run(): Promise<void>;
}

const BENCHMARKS: Record<string, () => Promise<Benchmark>> = {
  ingest: () => import('./ingest.js'),
  scale: () => import('./scale.js'),
  sign: () => import('./sign.js'),
  e2e: () => import('./e2e.js'),
  fanout: () => import('./fanout.js'),
  receive: () => import('./receive.js'),
  sources: () => import('./sources.js'),
  pull: () => import('./pull.js'),
};

/** EX_USAGE from sysexits.h. */
const EXIT_USAGE = 64;

async function main(): Promise<void> {
  const name = process.argv[2];
  const load = name !== undefined && Object.hasOwn(BENCHMARKS, name) ? BENCHMARKS[name] : undefined;
  if (!load) {
    process.stderr.write(
      (name === undefined ? '' : `unknown benchmark "${name}"\n`) +
        'usage: npm run bench -- <name>\n' +
        `benchmarks: ${Object.keys(BENCHMARKS).join(', ')}\n` +
        '(build first: npm run build)\n',
    );
    process.exitCode = EXIT_USAGE;
    return;
  }
  try {
    await (await load()).run();
  } catch (err) {
    if (err instanceof BrokenRunError) {
      process.stderr.write(`bench ${name}: broken run: ${err.message}\n`);
    } else {
      process.stderr.write(`bench ${name}: failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    }
    process.exitCode = 1;
  }
}

await main();
// Keep-alive sockets of the set-up calls (fetch) would hold the process a few seconds more.
process.exit();
