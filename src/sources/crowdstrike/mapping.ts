import path from 'node:path';
import { z } from 'zod';
import { loadBehaviorCatalog } from '../../config/behavior-catalog.js';
import { readJsonFile } from '../../config/json-file.js';
import { packageRoot } from '../../config/package-root.js';
import { BEHAVIOR_ID_PATTERN } from '../../domain/behavior.js';

/** Falcon severity levels, lowest first (vendors reference §4.2: INFO|LOW|MEDIUM|HIGH|CRITICAL). */
export const SEVERITY_LEVELS = ['informational', 'low', 'medium', 'high', 'critical'] as const;
export type SeverityLevel = (typeof SEVERITY_LEVELS)[number];
const Level = z.enum(SEVERITY_LEVELS);
const BehaviorId = z.string().regex(BEHAVIOR_ID_PATTERN, 'behavior ids must match [a-z0-9][a-z0-9_.-]{0,63}');

const Scale = z.object({
  max: z.number().positive(),
  levels: z.array(z.object({ min: z.number().min(0), level: Level }).strict()).min(1),
}).strict().refine((s) => s.levels.every((l, i) => i === 0 || l.min < s.levels[i - 1]!.min), 'levels must go from the highest min down')
  .refine((s) => s.levels.at(-1)!.min === 0, 'the last level must start at min 0');

const Mapping = z.object({
  $comment: z.string().optional(),
  severity: z.object({
    scales: z.record(z.string().min(1), Scale),
    /** Event type (or `workflow`) → scale name. */
    event_types: z.record(z.string().min(1), z.string().min(1)),
    behaviors: z.partialRecord(Level, BehaviorId),
  }).strict().refine((s) => Object.values(s.event_types).every((n) => n in s.scales), 'every event type must name a defined scale'),
  zta: z.object({
    attributes: z.array(z.enum(['overall', 'os', 'sensor_config'])).min(1),
    bands: z.array(z.object({ max: z.number().int().min(0).max(100), behavior: BehaviorId }).strict()).min(1)
      .refine((b) => b.every((x, i) => i === 0 || x.max > b[i - 1]!.max), 'bands must go from the lowest max up'),
  }).strict(),
  ignored_users: z.array(z.string().min(1)),
  ignored_statuses: z.array(z.string().min(1)),
}).strict();

export type CrowdStrikeMapping = z.infer<typeof Mapping>;

/**
 * config/sources/crowdstrike.json, validated, with every behavior it names present in the
 * catalog; a bad file fails start-up naming the field (STYLE §8).
 */
export function loadCrowdStrikeMapping(
  file = path.join(packageRoot(), 'config', 'sources', 'crowdstrike.json'),
  catalog: ReadonlyArray<{ id: string }> = loadBehaviorCatalog(),
): CrowdStrikeMapping {
  const data = readJsonFile(file, Mapping);
  const known = new Set(catalog.map((b) => b.id));
  const named = [...Object.values(data.severity.behaviors), ...data.zta.bands.map((b) => b.behavior)];
  const unknown = named.filter((b) => b && !known.has(b));
  if (unknown.length) throw new Error(`${file}: invalid: behaviors not in the catalog: ${unknown.join(', ')}`);
  return data;
}

/** Severity names as Falcon writes them (`High`, `HIGH`, `INFO`, `Informational`). */
const NAMES: Record<string, SeverityLevel> = {
  informational: 'informational', info: 'informational', low: 'low', medium: 'medium', high: 'high', critical: 'critical',
};

/** A severity read on its scale: the level, or why it cannot be read (the caller names the field). */
export type SeverityReading = { level: SeverityLevel; scale: string | null } | { error: string };

/**
 * §4.2 "map severity with a per-eventType scale": a known name wins (it states the level);
 * otherwise the number is read on the event type's scale.
 */
export function severityLevel(m: CrowdStrikeMapping, eventType: string, severity: number | string | undefined, name: string | undefined): SeverityReading {
  const named = [name, typeof severity === 'string' ? severity : undefined].map((n) => (n ? NAMES[n.trim().toLowerCase()] : undefined)).find(Boolean);
  if (named) return { level: named, scale: null };
  if (typeof severity !== 'number') {
    return severity === undefined && name === undefined ? { error: 'is required' } : { error: `is not a known severity name (${[...new Set(Object.keys(NAMES))].join(', ')})` };
  }
  const scaleName = m.severity.event_types[eventType];
  const scale = scaleName ? m.severity.scales[scaleName] : undefined;
  if (!scaleName || !scale) return { error: `has no scale configured for ${eventType}` };
  if (severity > scale.max) return { error: `must be within the ${scaleName} scale of ${eventType}` };
  return { level: scale.levels.find((l) => severity >= l.min)!.level, scale: scaleName };
}

/** The behavior a severity level raises, or null when the level is not scored. */
export function severityBehavior(m: CrowdStrikeMapping, level: SeverityLevel): string | null {
  return m.severity.behaviors[level] ?? null;
}

/**
 * §4.4: a device whose lowest listed ZTA attribute falls into a band raises that band's behavior
 * (Cloudflare: 0-50 low, 50-79 medium; the first band wins at the overlap). Null above every band.
 */
export function ztaBehavior(m: CrowdStrikeMapping, scores: Partial<Record<'overall' | 'os' | 'sensor_config', number>>): { behavior: string; attribute: string; score: number } | null {
  const present = m.zta.attributes.flatMap((a) => (scores[a] === undefined ? [] : [{ attribute: a, score: scores[a]! }]));
  if (!present.length) return null;
  const lowest = present.reduce((a, b) => (b.score < a.score ? b : a));
  const band = m.zta.bands.find((b) => lowest.score <= b.max);
  return band ? { behavior: band.behavior, ...lowest } : null;
}
