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

/** The level a value names (LOW, MEDIUM, HIGH in any case), or null. Only strings name one. */
const levelOf = (v: unknown): string | null => (typeof v === 'string' && LEVEL_RANK[v.toUpperCase()] ? v.toUpperCase() : null);

/**
 * The entries of an Okta debug value, which arrives as an object, as JSON in a string
 * (threatDetections: `{"Password Spray":"HIGH"}`) or as a Java-style map in a string
 * (risk: `{previousLevel=LOW, level=MEDIUM, detectionName=…}`, vendors reference §3.3).
 * Null for anything else.
 */
function entriesOf(raw: unknown): Record<string, unknown> | null {
  if (raw !== null && typeof raw === 'object') return Array.isArray(raw) ? null : (raw as Record<string, unknown>);
  if (typeof raw !== 'string') return null;
  try {
    const parsed = JSON.parse(raw) as unknown;
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
  } catch {
    const out: Record<string, unknown> = {};
    for (const m of raw.matchAll(/(?:^|[{,])\s*(\w+)=([^,}]*)/g)) out[m[1]!] = m[2]!.trim();
    return out;
  }
}

/** ThreatInsight's `threatDetections` (detection name → level): the strongest level named, or null. */
export function strongestLevel(raw: unknown): string | null {
  const levels = Object.values(entriesOf(raw) ?? {}).map(levelOf).filter((l): l is string => l !== null);
  return levels.sort((a, b) => LEVEL_RANK[b]! - LEVEL_RANK[a]!)[0] ?? null;
}

/**
 * The current level of an Okta risk value (`debugData.risk`, `securityContext.risk`): its `level`
 * entry only — `previousLevel` is where the user was, and a drop from HIGH to LOW is no risk.
 */
export function currentRiskLevel(raw: unknown): string | null {
  return levelOf(entriesOf(raw)?.level);
}
