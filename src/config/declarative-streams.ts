import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ACCOUNT_ID_PATTERN } from '../domain/account.js';
import { packageRoot } from './package-root.js';

/**
 * streams/*.json: transmitters an account receives from, declared next to the deployment and
 * applied at start-up. Static mode only — these files carry no secrets; managed subscriptions,
 * which need client credentials, are registered through the API or CLI.
 */
const File = z.object({
  $comment: z.string().optional(),
  account: z.string().regex(ACCOUNT_ID_PATTERN, 'must match [a-z0-9][a-z0-9_-]{0,63}'),
  transmitters: z.array(z.object({
    mode: z.literal('static'),
    issuer: z.url(),
    jwks_uri: z.url(),
    audience: z.string().min(1).optional(),
  }).strict()),
}).strict();

export type DeclaredStreams = z.infer<typeof File>;

/** Every *.json in the folder, validated; a bad file stops start-up naming the file and field. */
export function loadDeclaredStreams(dir = path.join(packageRoot(), 'streams')): DeclaredStreams[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort().map((f) => {
    const file = path.join(dir, f);
    let raw: unknown;
    try {
      raw = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (err) {
      throw new Error(`${file}: not valid JSON: ${(err as Error).message}`);
    }
    const parsed = File.safeParse(raw);
    if (!parsed.success) throw new Error(`${file}: invalid:\n${parsed.error.issues.map((i) => `  - ${i.path.join('.')}: ${i.message}`).join('\n')}`);
    return parsed.data;
  });
}
