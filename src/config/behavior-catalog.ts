import path from 'node:path';
import { z } from 'zod';
import { BEHAVIOR_ID_PATTERN, type CatalogBehavior } from '../domain/behavior.js';
import { RISK_LEVELS } from '../domain/risk-level.js';
import { readJsonFile } from './json-file.js';
import { packageRoot } from './package-root.js';

const CatalogFile = z.object({
  $comment: z.string().optional(),
  behaviors: z.record(
    z.string().regex(BEHAVIOR_ID_PATTERN, 'behavior ids must match [a-z0-9][a-z0-9_.-]{0,63}'),
    z.object({ name: z.string().min(1), description: z.string(), risk_level: z.enum(RISK_LEVELS), device: z.boolean().default(false) }).strict(),
  ),
}).strict();

/**
 * Loads and validates config/behaviors.json (or `file`). Misconfiguration fails start-up with the
 * exact path of every problem (STYLE §8).
 */
export function loadBehaviorCatalog(file = path.join(packageRoot(), 'config', 'behaviors.json')): readonly CatalogBehavior[] {
  const data = readJsonFile(file, CatalogFile, 'behavior catalog');
  return Object.freeze(
    Object.entries(data.behaviors).map(([id, b]) => Object.freeze({ id, name: b.name, description: b.description, riskLevel: b.risk_level, device: b.device })),
  );
}
