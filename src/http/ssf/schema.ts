import { z } from 'zod';
import { SubjectSchema } from '../../ssf/subjects.js';

/*
 * Stream management bodies (SSF §8). Unknown members are ignored (SSF §4.2.3 spirit; the
 * conformance suite sends extra transmitter-supplied members on create, which we ignore).
 */
const Delivery = z.object({
  method: z.string().min(1),
  endpoint_url: z.string().min(1).max(2048).optional(),
  authorization_header: z.string().min(1).max(4096).optional(),
}).passthrough();
const ReceiverSupplied = {
  events_requested: z.array(z.string().max(512)).max(100).optional(),
  delivery: Delivery.optional(),
  description: z.string().max(1000).nullable().optional(),
};
const TransmitterSupplied = {
  iss: z.unknown().optional(), aud: z.unknown().optional(), events_supported: z.unknown().optional(),
  events_delivered: z.unknown().optional(), min_verification_interval: z.unknown().optional(),
};
const StreamId = z.string({ error: 'stream_id is required' }).min(1).max(128);

export const CreateStreamBody = z.object(ReceiverSupplied).passthrough();
export const UpdateStreamBody = z.object({ stream_id: StreamId, ...ReceiverSupplied, ...TransmitterSupplied }).passthrough();
export const StreamQuery = z.object({ stream_id: z.string().min(1).max(128).optional() }).passthrough();
export const RequiredStreamQuery = z.object({ stream_id: StreamId }).passthrough();
export const StatusBody = z.object({
  stream_id: StreamId,
  status: z.enum(['enabled', 'paused', 'disabled'], { error: 'status must be enabled, paused or disabled' }),
  reason: z.string().max(500).optional(),
}).passthrough();
export const SubjectBody = z.object({ stream_id: StreamId, subject: SubjectSchema, verified: z.boolean().optional() }).passthrough();
export const VerifyBody = z.object({ stream_id: StreamId, state: z.string().max(1024).optional() }).passthrough();
/** RFC 8936 §2.2; unknown members ignored. */
export const PollBody = z.object({
  maxEvents: z.number().int().min(0).max(100000).optional(),
  returnImmediately: z.boolean().optional(),
  ack: z.array(z.string().max(256)).max(10000).optional(),
  setErrs: z.record(z.string().max(256), z.object({ err: z.string().max(100), description: z.string().max(2000).optional() }).passthrough()).optional(),
}).passthrough();
export const AccountParam = z.object({ account_id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'unknown account') });
export const PollParams = AccountParam.extend({ stream_id: z.string().min(1).max(128) });

/** POST /client/v4/accounts/{id}/ssf/receivers */
export const CreateReceiverBody = z.object({
  name: z.string().trim().min(1).max(200),
  audience: z.string().trim().min(1).max(2048).optional(),
  scopes: z.array(z.enum(['ssf.read', 'ssf.manage'])).min(1).optional(),
}).strict();
export const ReceiverParams = AccountParam.extend({ client_id: z.string().min(1).max(128) });

/** PUT /client/v4/accounts/{id}/ssf/settings */
export const SsfSettingsBody = z.object({ default_subjects: z.enum(['ALL', 'NONE']) }).strict();
/** POST /client/v4/accounts/{id}/ssf/streams/{stream_id}/status: a transmitter-initiated change. */
export const AdminStreamParams = AccountParam.extend({ stream_id: z.string().min(1).max(128) });
export const AdminStatusBody = z.object({ status: z.enum(['enabled', 'paused', 'disabled']), reason: z.string().max(500).optional() }).strict();

/** GET /client/v4/accounts/{id}/ssf/streams/{stream_id}/deliveries?state= */
export const DeliveriesQuery = z.object({
  state: z.enum(['pending', 'delivered', 'failed', 'dead']).default('dead'),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
/** POST …/deliveries/redrive: every dead SET, or the listed jtis (dead or failed). */
export const RedriveBody = z.object({ jtis: z.array(z.string().min(1).max(256)).min(1).max(10000).optional() }).strict();
