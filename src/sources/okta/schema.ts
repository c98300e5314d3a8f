import { z } from 'zod';

/** A System Log `LogEvent` (vendors reference §3.4): only what riskwire reads; the rest is ignored. */
const Actor = z.object({ id: z.string().optional(), type: z.string().optional(), alternateId: z.string().optional(), displayName: z.string().optional() }).passthrough();
export const LogEvent = z.object({
  uuid: z.string({ error: 'uuid is required' }).min(1).max(200),
  eventType: z.string({ error: 'eventType is required' }).min(1).max(200),
  published: z.string().optional(),
  severity: z.string().optional(),
  actor: Actor.optional(),
  target: z.array(Actor).optional(),
  outcome: z.object({ result: z.string().optional(), reason: z.string().nullable().optional() }).passthrough().optional(),
  debugContext: z.object({ debugData: z.record(z.string(), z.unknown()).optional() }).passthrough().optional(),
  securityContext: z.object({ risk: z.unknown().optional() }).passthrough().nullable().optional(),
}).passthrough();
export type LogEvent = z.infer<typeof LogEvent>;

/** The event hook delivery envelope (CloudEvents-like). */
export const Delivery = z.object({
  data: z.object({ events: z.array(z.unknown(), { error: 'data.events must be an array' }).max(1000) }, { error: 'data is required' }).passthrough(),
}).passthrough();
