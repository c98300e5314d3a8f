import path from 'node:path';
import { z } from 'zod';
import { readJsonFile } from '../../config/json-file.js';
import { packageRoot } from '../../config/package-root.js';

/** The normalized facts of a threat or alert a mapping rule can test (config/sources/sentinelone.json). */
export const FACT_FIELDS = ['confidence', 'mitigation_status', 'incident_status', 'analyst_verdict', 'classification', 'severity'] as const;
export type Facts = Partial<Record<(typeof FACT_FIELDS)[number], string>>;

const Values = z.array(z.string().min(1)).min(1).transform((v) => v.map(normalize));
const NoRisk = z.object({ field: z.enum(FACT_FIELDS), in: Values }).strict();
const Behavior = z.object({ field: z.enum(FACT_FIELDS), in: Values, behavior: z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/) }).strict();
const Pattern = z.string().min(1).refine((p) => {
  try {
    new RegExp(p, 'i');
    return true;
  } catch {
    return false;
  }
}, 'must be a valid regular expression').transform((p) => new RegExp(p, 'i'));
const Mapping = z.object({
  $comment: z.string().optional(),
  no_risk: z.array(NoRisk),
  behaviors: z.array(Behavior).min(1),
  ignore_users: z.array(Pattern),
}).strict();
export type SentinelOneMapping = z.infer<typeof Mapping>;

/** config/sources/sentinelone.json, validated; a bad file fails start-up naming the field. */
export function loadSentinelOneMapping(file = path.join(packageRoot(), 'config', 'sources', 'sentinelone.json')): SentinelOneMapping {
  const data = readJsonFile(file, Mapping);
  return data;
}

/**
 * SentinelOne spells one value several ways: `false_positive` on threats, `FALSE_POSITIVE` or
 * `False positive` on alerts (§5.1, §5.2). Lower case, spaces and dashes as underscores.
 */
export function normalize(value: string): string {
  return value.trim().toLowerCase().replace(/[\s-]+/g, '_');
}

/** What a threat or alert amounts to: a behavior to signal, or the reason it raises no risk. */
export type Decision = { behavior: string } | { ignored: string };

/**
 * The no_risk rules first (a false positive or resolved incident never raises risk, even when its
 * confidence is malicious), then the first matching behaviors rule; nothing matched is ignored.
 */
export function decide(facts: Facts, mapping: SentinelOneMapping): Decision {
  for (const rule of mapping.no_risk) {
    const v = facts[rule.field];
    if (v !== undefined && rule.in.includes(v)) return { ignored: `${rule.field} is ${v}` };
  }
  for (const rule of mapping.behaviors) {
    const v = facts[rule.field];
    if (v !== undefined && rule.in.includes(v)) return { behavior: rule.behavior };
  }
  return { ignored: `confidence ${facts.confidence ?? '(none)'} is not mapped to a behavior` };
}

/** True for OS accounts that never identify a person (SYSTEM, root, machine accounts …). */
export function isServiceAccount(value: string, mapping: SentinelOneMapping): boolean {
  return mapping.ignore_users.some((p) => p.test(value.trim()));
}
