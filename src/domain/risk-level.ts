/** Cloudflare's risk levels (vendors reference §1.3); a user with no counted events is `unscored`. */
export const RISK_LEVELS = ['low', 'medium', 'high'] as const;
export type RiskLevel = (typeof RISK_LEVELS)[number];
export type UserRiskLevel = RiskLevel | 'unscored';

const RANK: Record<UserRiskLevel, number> = { unscored: 0, low: 1, medium: 2, high: 3 };

/** Numeric order of levels: unscored 0 < low 1 < medium 2 < high 3. */
export function levelRank(level: UserRiskLevel): number {
  return RANK[level];
}

/** The level of a rank (inverse of levelRank). */
export function levelOfRank(rank: number): UserRiskLevel {
  return (['unscored', 'low', 'medium', 'high'] as const)[rank] ?? 'unscored';
}

/** The higher of two levels (Cloudflare: "the highest value between the current risk level and …"). */
export function maxLevel(a: UserRiskLevel, b: UserRiskLevel): UserRiskLevel {
  return RANK[a] >= RANK[b] ? a : b;
}

/** True for one of low, medium, high. */
export function isRiskLevel(v: unknown): v is RiskLevel {
  return typeof v === 'string' && (RISK_LEVELS as readonly string[]).includes(v);
}
