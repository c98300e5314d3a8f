import { z } from 'zod';
import { BEHAVIOR_ID_PATTERN } from '../../domain/behavior.js';
import { RISK_LEVELS } from '../../domain/risk-level.js';
import { IDENTIFIER_KINDS } from '../../domain/user.js';
import { AccountParams } from '../accounts/schema.js';

export { AccountParams };

/** Levels are matched case-insensitively (the Terraform provider validates them that way). */
const Level = z.string().transform((v) => v.toLowerCase()).pipe(z.enum(RISK_LEVELS, { error: 'must be one of low, medium, high' }));
const BehaviorId = z.string().regex(BEHAVIOR_ID_PATTERN, 'must match [a-z0-9][a-z0-9_.-]{0,63}');

/** PUT /behaviors (Cloudflare §1.4): only enabled and risk_level are writable; name/description are ignored. */
export const PutBehaviorsBody = z.object({
  behaviors: z.record(
    z.string(),
    z.object({ enabled: z.boolean(), risk_level: Level, name: z.string().optional(), description: z.string().optional() }),
  ),
});

export const BehaviorParams = AccountParams.extend({ behavior_id: BehaviorId });

/** POST /behaviors/{id}: a custom behavior (our extension). */
export const PutCustomBehaviorBody = z
  .object({
    name: z.string().trim().min(1).max(200),
    description: z.string().max(2000).default(''),
    risk_level: Level,
    enabled: z.boolean().default(true),
  })
  .strict();

const Identifier = z.union([
  z.object({ type: z.literal('iss_sub'), iss: z.string().min(1).max(512), sub: z.string().min(1).max(512) }).strict(),
  z.object({ type: z.enum(IDENTIFIER_KINDS.filter((k) => k !== 'iss_sub') as [string, ...string[]]), value: z.string().trim().min(1).max(512) }).strict(),
]);

const SignalUser = z
  .object({
    id: z.uuid({ error: 'must be a riskwire user UUID' }).optional(),
    email: z.email().max(320).optional(),
    name: z.string().trim().min(1).max(200).optional(),
    identifiers: z.array(Identifier).max(20).optional(),
  })
  .strict()
  .refine((u) => u.id || u.email || u.identifiers?.length, { message: 'a user needs an id, an email or identifiers' });

/** POST /signals: 1 to 1000 signals. */
export const SignalsBody = z
  .object({
    signals: z
      .array(
        z
          .object({
            id: z.string().min(1).max(128).optional(),
            behavior: BehaviorId,
            user: SignalUser,
            occurred_at: z.iso.datetime({ offset: true, error: 'must be an RFC 3339 date-time' }).optional(),
            source: z.string().min(1).max(64).optional(),
            details: z.record(z.string(), z.unknown()).optional(),
          })
          .strict(),
      )
      .min(1, 'at least one signal')
      .max(1000, 'at most 1000 signals per request'),
  })
  .strict();

const page = z.coerce.number({ error: 'must be a positive integer' }).int().min(1).max(1_000_000).default(1);
const perPage = z.coerce.number({ error: 'must be an integer from 1 to 1000' }).int().min(1).max(1000).default(25);
const direction = z.enum(['asc', 'desc']).default('desc');

export const SummaryQuery = z.object({
  page,
  per_page: perPage,
  order_by: z.enum(['timestamp', 'event_count', 'max_risk_level']).default('timestamp'),
  direction,
});

export const UserParams = AccountParams.extend({ user_id: z.uuid({ error: 'must be a user UUID' }) });

export const UserQuery = z.object({
  page,
  per_page: perPage,
  order_by: z.enum(['timestamp', 'risk_level']).default('timestamp'),
  direction,
});

/** PUT /settings (our extension). A window shorter than a minute would only churn. */
export const SettingsBody = z
  .object({
    decay_window_seconds: z.number().int().min(60).max(10 * 365 * 86400).nullable(),
  })
  .strict();
