import type { RiskLevel } from './risk-level.js';

/** Behavior ids are map keys in the Cloudflare API: short, stable, URL-safe. */
export const BEHAVIOR_ID_PATTERN = /^[a-z0-9][a-z0-9_.-]{0,63}$/;

/** A risk behavior of one account (Cloudflare `Behavior` plus whether the account defined it). */
export interface Behavior {
  readonly accountId: string;
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly enabled: boolean;
  readonly riskLevel: RiskLevel;
  /** True for behaviors the account defined itself (our extension); only those can be deleted. */
  readonly custom: boolean;
  readonly updatedAt: Date;
}

/** A catalog entry from config/behaviors.json, seeded into each account disabled. */
export interface CatalogBehavior {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly riskLevel: RiskLevel;
  /** A behavior about a device (EDR posture): its risk changes are also device-compliance-change. */
  readonly device?: boolean;
}
