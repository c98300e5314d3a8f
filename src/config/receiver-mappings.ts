import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { packageRoot } from './package-root.js';

const Rule = z.object({
  event: z.url(),
  field: z.string().min(1).optional(),
  in: z.array(z.string().min(1)).min(1).optional(),
  behavior: z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/),
}).strict().refine((r) => (r.field === undefined) === (r.in === undefined), 'field and in go together');
const File = z.object({ $comment: z.string().optional(), rules: z.array(Rule) }).strict();

export type MappingRule = z.infer<typeof Rule>;

/** Loads config/receiver-mappings.json; a bad file fails start-up naming every problem. */
export function loadReceiverMappings(file = path.join(packageRoot(), 'config', 'receiver-mappings.json')): readonly MappingRule[] {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: cannot read: ${(err as Error).message}`);
  }
  const parsed = File.safeParse(raw);
  if (!parsed.success) throw new Error(`${file}: invalid:\n${parsed.error.issues.map((i) => `  - ${i.path.join('.')}: ${i.message}`).join('\n')}`);
  return Object.freeze(parsed.data.rules);
}
