import path from 'node:path';
import { z } from 'zod';
import { readJsonFile } from './json-file.js';
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
  const data = readJsonFile(file, File);
  return Object.freeze(data.rules);
}
