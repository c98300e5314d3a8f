import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/** An environment variable name (POSIX portable characters): how declarative files name a secret. */
export const EnvName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name');

/**
 * The `*.json` files directly in a declarative folder (streams/, sources/), sorted; none when the
 * folder does not exist. Sub-folders such as examples/ are not read.
 */
export function declarationFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort().map((f) => path.join(dir, f));
}
