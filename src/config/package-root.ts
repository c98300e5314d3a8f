import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The repository root (the folder holding riskwire's package.json), found by walking up from
 * this module: it is `src/config/` when run from sources and `dist/src/config/` when built.
 */
export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: string }).name === 'riskwire') return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error('cannot find the riskwire package root');
    dir = up;
  }
}
