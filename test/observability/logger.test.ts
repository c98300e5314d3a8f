import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { childEnv, requireBuild } from '../helpers/processes.js';

const logger = path.join(fileURLToPath(new URL('../..', import.meta.url)), 'dist', 'src', 'observability', 'logger.js');

/** Runs `body` in a fresh node process with `log` = the server's JSON logger; returns what it printed. */
function run(body: string) {
  const script = `import { createLogger } from ${JSON.stringify(logger)};\nconst log = createLogger({ level: 'info', format: 'json' });\n${body}`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { env: childEnv({}), encoding: 'utf8', timeout: 15_000 });
  const lines = (s: string) => s.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
  return { status: r.status, out: lines(r.stdout), err: lines(r.stderr), rawErr: r.stderr };
}

describe('server logger (batched stdout)', () => {
  beforeAll(requireBuild);

  it('writes every line, in order, errors to stderr, secrets redacted', () => {
    const r = run(`
      for (let i = 0; i < 3000; i++) log.child('http').info('request', { i, authorization: 'Bearer abc', note: 'token rw_${'a'.repeat(20)}' });
      log.error('failed', { client_secret: 's3cret' });
      setTimeout(() => log.warn('later'), 5);
    `);
    expect(r.status).toBe(0);
    // 3,000 lines are well over one 64 KiB batch: none lost, none reordered.
    expect(r.out.map((l) => l.i ?? l.message)).toEqual([...Array.from({ length: 3000 }, (_, i) => i), 'later']);
    expect(r.out[0]).toMatchObject({ level: 'info', category: 'http', authorization: '[redacted]', note: 'token [redacted]' });
    expect(r.err).toEqual([expect.objectContaining({ level: 'error', message: 'failed', client_secret: '[redacted]' })]);
  });

  it('still writes the lines queued when the process crashes', () => {
    const r = run(`log.info('last words'); log.error('about to fail'); throw new Error('boom');`);
    expect(r.status).not.toBe(0);
    expect(r.out.map((l) => l.message)).toEqual(['last words']);
    expect(r.err.map((l) => l.message)).toEqual(['about to fail']);
    expect(r.rawErr).toContain('boom');
  });

  it('still writes the lines queued when the process calls exit', () => {
    const r = run(`log.info('bye'); process.exit(3);`);
    expect(r.status).toBe(3);
    expect(r.out.map((l) => l.message)).toEqual(['bye']);
  });
});
