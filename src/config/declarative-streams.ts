import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ACCOUNT_ID_PATTERN } from '../domain/account.js';
import { declarationFiles, EnvName } from './declarative-files.js';
import { packageRoot } from './package-root.js';

/**
 * streams/*.json: transmitters an account receives from, declared next to the deployment and
 * applied at start-up, in static or managed mode. No secret is written in these files: a
 * managed transmitter's client secret or access token is named by the environment variable
 * that holds it.
 */
const Static = z.object({
  mode: z.literal('static'),
  issuer: z.url(),
  jwks_uri: z.url(),
  audience: z.string().min(1).optional(),
}).strict();
const Managed = z.object({
  mode: z.literal('managed'),
  /** Required here (unlike the API): it is what makes applying idempotent across restarts. */
  issuer: z.url(),
  delivery: z.enum(['push', 'poll']),
  auth: z.union([
    z.object({ client_id: z.string().min(1), client_secret_env: EnvName, token_endpoint: z.url().optional(), scope: z.string().optional() }).strict(),
    z.object({ access_token_env: EnvName }).strict(),
  ], { error: 'auth is {client_id, client_secret_env, token_endpoint?, scope?} or {access_token_env}' }),
  events_requested: z.array(z.url()).min(1).max(50).optional(),
  audience: z.string().min(1).optional(),
}).strict();
const File = z.object({
  $comment: z.string().optional(),
  account: z.string().regex(ACCOUNT_ID_PATTERN, 'must match [a-z0-9][a-z0-9_-]{0,63}'),
  transmitters: z.array(z.discriminatedUnion('mode', [Static, Managed], { error: 'mode must be "static" or "managed"' })),
}).strict();

/** A declared managed transmitter with its credential read from the environment. */
export type DeclaredManaged = Omit<z.infer<typeof Managed>, 'auth'> & {
  auth: { client_id: string; client_secret: string; token_endpoint?: string | undefined; scope?: string | undefined } | { access_token: string };
};
export interface DeclaredStreams {
  readonly file: string;
  readonly account: string;
  readonly transmitters: ReadonlyArray<z.infer<typeof Static> | DeclaredManaged>;
}

/**
 * Every *.json in the folder, validated, with the variables it names read from `env`; a bad
 * file, or a variable that is not set, stops start-up naming the file, the transmitter and the
 * variable (never its value).
 */
export function loadDeclaredStreams(dir = path.join(packageRoot(), 'streams'), env: NodeJS.ProcessEnv = process.env): DeclaredStreams[] {
  return declarationFiles(dir).map((file) => {
    let raw: unknown;
    try {
      raw = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (err) {
      throw new Error(`${file}: not valid JSON: ${(err as Error).message}`);
    }
    const parsed = File.safeParse(raw);
    if (!parsed.success) throw new Error(`${file}: invalid:\n${parsed.error.issues.map((i) => `  - ${i.path.join('.')}: ${i.message}`).join('\n')}`);
    const read = (issuer: string, name: string) => {
      const value = env[name];
      if (!value) throw new Error(`${file}: transmitter ${issuer}: its credential is read from ${name}, which is not set`);
      return value;
    };
    const transmitters = parsed.data.transmitters.map((t) => {
      if (t.mode === 'static') return t;
      const { auth, ...rest } = t;
      return {
        ...rest,
        auth: 'access_token_env' in auth
          ? { access_token: read(t.issuer, auth.access_token_env) }
          : { client_id: auth.client_id, client_secret: read(t.issuer, auth.client_secret_env), token_endpoint: auth.token_endpoint, scope: auth.scope },
      };
    });
    return { file, account: parsed.data.account, transmitters };
  });
}
