import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { processCpuMs } from './process-cpu.js';
import { BrokenRunError } from './report.js';

/** riskwire as a child process (its own event loop, as in production) on a fresh DATA_DIR. */
export async function startRiskwireProcess(env: Record<string, string> = {}) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'riskwire-bench-'));
  const token = `bench-${randomBytes(24).toString('hex')}`;
  const main = fileURLToPath(new URL('../../src/main.js', import.meta.url));
  // BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the server under load.
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, main], {
    env: {
      PATH: process.env.PATH ?? '', DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', LOG_FORMAT: 'json',
      RISKWIRE_MASTER_KEY: randomBytes(32).toString('hex'), RISKWIRE_BOOTSTRAP_ACCOUNT: 'bench', RISKWIRE_BOOTSTRAP_TOKEN: token,
      RISKWIRE_ALLOW_PRIVATE_NETWORK: 'true',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let url: string | undefined;
  child.stdout.on('data', (d: Buffer) => {
    if (url) return; // after start-up, request log lines are read and dropped
    out += d.toString();
    const m = /listening on 127\.0\.0\.1:(\d+)/.exec(out);
    if (m) url = `http://127.0.0.1:${m[1]}`;
  });
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const deadline = Date.now() + 20_000;
  while (!url) {
    if (child.exitCode !== null || Date.now() > deadline) throw new BrokenRunError(`riskwire did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const base = url;
  const api = async (method: string, p: string, body?: unknown, bearer = token) => {
    const res = await fetch(`${base}${p}`, {
      method, headers: { authorization: `Bearer ${bearer}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new BrokenRunError(`${method} ${p} answered ${res.status}: ${text}`);
    return text ? (JSON.parse(text) as any) : undefined;
  };
  return {
    url: base,
    token,
    api,
    /** CPU the riskwire process has used so far, ms (process-cpu.ts). */
    cpuMs: () => processCpuMs(child.pid),
    /** A receiver with a client-credentials access token, ready to create streams. */
    async receiver(name: string) {
      const r = (await api('POST', '/client/v4/accounts/bench/ssf/receivers', { name })).result;
      const res = await fetch(`${base}/ssf/bench/oauth/token`, {
        method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `grant_type=client_credentials&client_id=${r.client_id}&client_secret=${encodeURIComponent(r.client_secret)}`,
      });
      return ((await res.json()) as { access_token: string }).access_token;
    },
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
