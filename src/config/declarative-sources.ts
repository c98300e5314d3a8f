import path from 'node:path';
import { z } from 'zod';
import { ACCOUNT_ID_PATTERN } from '../domain/account.js';
import { declarationFiles, EnvName } from './declarative-files.js';
import { readJsonFile } from './json-file.js';
import { packageRoot } from './package-root.js';

/**
 * sources/*.json: vendor sources an account takes events from, declared next to the deployment
 * and applied at start-up. No secret is written in these files: the webhook secret and any
 * credential setting are named by the environment variables that hold them.
 */
const File = z.object({
  $comment: z.string().optional(),
  account: z.string().regex(ACCOUNT_ID_PATTERN, 'must match [a-z0-9][a-z0-9_-]{0,63}'),
  sources: z.array(z.object({
    type: z.enum(['crowdstrike', 'sentinelone', 'okta_event_hook']),
    /** The source's identity across restarts: one source per (account, name). */
    name: z.string().trim().min(1).max(200),
    /** The variable holding the webhook secret the vendor is configured with. */
    secret_env: EnvName,
    settings: z.record(z.string(), z.unknown()).optional(),
    /** Settings read from the environment (credentials: an API token, a client secret). */
    settings_env: z.record(z.string(), EnvName).optional(),
  }).strict()),
}).strict().superRefine((f, ctx) => {
  const names = f.sources.map((s) => s.name);
  names.forEach((n, i) => {
    if (names.indexOf(n) !== i) ctx.addIssue({ code: 'custom', path: ['sources', i, 'name'], message: `"${n}" is declared twice` });
  });
});

/** A declared source with its secrets read from the environment. */
export interface DeclaredSource {
  readonly file: string;
  readonly account: string;
  readonly type: 'crowdstrike' | 'sentinelone' | 'okta_event_hook';
  readonly name: string;
  readonly secret: string;
  readonly settings: Record<string, unknown>;
}

/** Shorter webhook secrets are refused: generated ones carry 256 bits. */
export const MIN_DECLARED_SECRET_LENGTH = 24;

/**
 * Every *.json in the folder, validated, with the variables it names read from `env`; a bad
 * file, or a variable unset or too short for a secret, stops start-up naming the file, the
 * source and the variable (never its value).
 */
export function loadDeclaredSources(dir = path.join(packageRoot(), 'sources'), env: NodeJS.ProcessEnv = process.env): DeclaredSource[] {
  return declarationFiles(dir).flatMap((file) => {
    const parsed = readJsonFile(file, File, 'sources file');
    return parsed.sources.map((s) => {
      const read = (name: string, what: string, min = 1) => {
        const value = env[name];
        if (!value || value.length < min) throw new Error(`${file}: source "${s.name}": ${what} is read from ${name}, which is ${value ? `shorter than ${min} characters` : 'not set'}`);
        return value;
      };
      const settings = { ...(s.settings ?? {}) };
      for (const [key, name] of Object.entries(s.settings_env ?? {})) settings[key] = read(name, `setting ${key}`);
      return { file, account: parsed.account, type: s.type, name: s.name, secret: read(s.secret_env, 'the webhook secret', MIN_DECLARED_SECRET_LENGTH), settings };
    });
  });
}
