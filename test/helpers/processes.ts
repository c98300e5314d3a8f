import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// import.meta.dirname is not provided by jest 29's ESM runtime; derive it from the URL.
const root = fileURLToPath(new URL('../..', import.meta.url));
export const MAIN = path.join(root, 'dist', 'src', 'main.js');
export const CLI = path.join(root, 'dist', 'src', 'cli', 'main.js');

/** Fails clearly when the build is missing (npm test builds first via pretest). */
export function requireBuild(): void {
  if (!fs.existsSync(MAIN) || !fs.existsSync(CLI)) {
    throw new Error(`${MAIN} is missing: run "npm run build" (npm test does it in pretest)`);
  }
}

/** Base environment for child processes: PATH only, nothing inherited that could change config. */
export function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '', ...env };
}

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  readonly exited: Promise<number | string>;
}

/** Spawns `node dist/src/main.js` and waits for its "listening" log line (15 s at most). */
export async function spawnServer(env: Record<string, string>): Promise<ServerProcess> {
  const child = spawn(process.execPath, [MAIN], { env: childEnv({ PORT: '0', HOST: '127.0.0.1', LOG_FORMAT: 'json', ...env }) });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  const deadline = Date.now() + 15000;
  for (;;) {
    const m = /listening on 127\.0\.0\.1:(\d+)/.exec(out);
    if (m) return { child, url: `http://127.0.0.1:${m[1]}`, stdout: () => out, stderr: () => err, exited };
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server did not start:\n${out}\n${err}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Runs the CLI to completion; resolves with its exit code and both streams. */
export function runCliProcess(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: childEnv(env) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
