import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { packageRoot } from '../../config/package-root.js';

const Level = z.enum(['LOW', 'MEDIUM', 'HIGH']);
const Mapping = z.object({
  $comment: z.string().optional(),
  threat_detected: z.object({ behavior: z.string().min(1), min_threat_level: Level }).strict(),
  user_risk: z.object({ behavior: z.string().min(1), min_risk_level: Level }).strict(),
  record_only: z.array(z.string().min(1)),
}).strict();
export type OktaMapping = z.infer<typeof Mapping>;

export const LEVEL_RANK: Record<string, number> = { LOW: 1, MEDIUM: 2, HIGH: 3 };

/** config/sources/okta.json, validated; a bad file fails start-up naming the field. */
export function loadOktaMapping(file = path.join(packageRoot(), 'config', 'sources', 'okta.json')): OktaMapping {
  const parsed = Mapping.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
  if (!parsed.success) throw new Error(`${file}: invalid:\n${parsed.error.issues.map((i) => `  - ${i.path.join('.')}: ${i.message}`).join('\n')}`);
  return parsed.data;
}

/**
 * Okta encodes some debug data as strings: threatDetections as JSON
 * (`{"Password Spray":"HIGH"}`) and risk as a Java-style map (`{level=MEDIUM, previousLevel=LOW, …}`).
 * Returns the strongest level found, or null.
 */
export function strongestLevel(raw: unknown): string | null {
  if (raw === null || raw === undefined) return null;
  let levels: string[] = [];
  if (typeof raw === 'object') levels = Object.values(raw as Record<string, unknown>).map(String);
  else if (typeof raw === 'string') {
    try {
      const parsed = JSON.parse(raw) as unknown;
      if (parsed && typeof parsed === 'object') levels = Object.values(parsed as Record<string, unknown>).map(String);
    } catch {
      const m = /(?:^|[{,\s])level=([A-Z]+)/.exec(raw);
      if (m?.[1]) levels = [m[1]];
    }
  }
  const best = levels.map((l) => l.toUpperCase()).filter((l) => LEVEL_RANK[l]).sort((a, b) => LEVEL_RANK[b]! - LEVEL_RANK[a]!)[0];
  return best ?? null;
}
