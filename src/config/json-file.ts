import fs from 'node:fs';
import type { z } from 'zod';

/**
 * Reads a declarative JSON file and validates it; any problem throws naming the file and every
 * field at fault, so a bad file fails start-up with a message an operator can act on (STYLE §8).
 * `what` names the file's role in the messages ("cannot read the behavior catalog").
 */
export function readJsonFile<S extends z.ZodType>(file: string, schema: S, what?: string): z.infer<S> {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: cannot read${what ? ` the ${what}` : ''}: ${(err as Error).message}`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new Error(`${file}: invalid${what ? ` ${what}` : ''}:\n${parsed.error.issues.map((i) => `  - ${i.path.join('.')}: ${i.message}`).join('\n')}`);
  return parsed.data;
}
