import { z } from 'zod';
import { errors, ServiceError } from '../../domain/errors.js';
import type { VendorAdapter } from '../vendor.js';
import { fromStream, fromWorkflow, fromZta } from './events.js';
import { loadCrowdStrikeMapping, type CrowdStrikeMapping } from './mapping.js';
import { matchFalconSignature, parseDeliveryTimestamp } from './signature.js';

const STREAM_KEYS = ['stream_api_base_url', 'stream_client_id', 'stream_client_secret', 'stream_app_id'] as const;

const Settings = z.object({
  /**
   * How far `X-Cs-Delivery-Timestamp` may be from now, either way (vendors reference §4.3: reject
   * stale timestamps). At most 1800 s: a signature stays acceptable for twice the window, and
   * claimed signatures are kept for an hour (nonce pruning in src/app.ts).
   */
  replay_window_seconds: z.number().int().min(30).max(1800).default(300),
  /** The Webhook action's "Signature Header Name" (§4.3: configurable, default X-CS-Primary-Signature). */
  signature_header: z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'must be an HTTP header name').default('X-CS-Primary-Signature'),
  /** Whether a UPN in UserName (`user@domain`) is also the user's email (§4.2: the Elastic reading). */
  upn_is_email: z.boolean().default(true),
  /**
   * Event Streams pull (§4.2 steps 1–5): the regional API base URL, an API client with the
   * "Event streams: Read" scope, and a 1–32 character app id naming this consumer. All or none.
   */
  stream_api_base_url: z.string().url().refine((u) => /^https?:$/.test(new URL(u).protocol), 'must be an http(s) URL').optional(),
  stream_client_id: z.string().min(1).max(256).optional(),
  stream_client_secret: z.string().min(1).max(256).optional(),
  stream_app_id: z.string().regex(/^[A-Za-z0-9]{1,32}$/, 'must be 1-32 letters or digits').optional(),
}).strict().superRefine((s, ctx) => {
  const set = STREAM_KEYS.filter((k) => s[k] !== undefined);
  if (set.length && set.length !== STREAM_KEYS.length) {
    for (const k of STREAM_KEYS.filter((k) => s[k] === undefined)) ctx.addIssue({ code: 'custom', path: [k], message: 'required when Event Streams pull is configured' });
  }
});
export type CrowdStrikeSettings = z.infer<typeof Settings>;

/**
 * The stored settings with defaults for keys added after the source was created; read once per
 * settings object (the pipeline hands the same one to every request until the source changes).
 */
const parsedSettings = new WeakMap<object, CrowdStrikeSettings>();
const settingsOf = (raw: unknown): CrowdStrikeSettings => {
  const cached = raw && typeof raw === 'object' ? parsedSettings.get(raw) : undefined;
  if (cached) return cached;
  const s = Settings.safeParse(raw ?? {}).data ?? Settings.parse({});
  if (raw && typeof raw === 'object') parsedSettings.set(raw, s);
  return s;
};

/**
 * CrowdStrike Falcon webhooks (vendors reference §4): Falcon Fusion / Store "Webhook" actions
 * signed with HMAC-SHA256 (§4.3), carrying Event Streams events (§4.2), flat workflow detections
 * or Zero Trust Assessments (§4.4); mapped by config/sources/crowdstrike.json.
 */
export function crowdstrikeAdapter(mapping: CrowdStrikeMapping = loadCrowdStrikeMapping()): VendorAdapter<CrowdStrikeSettings> {
  return {
    type: 'crowdstrike',
    settings: Settings,
    secretSettings: ['stream_client_secret'],
    async authenticate(req, ctx) {
      const s = settingsOf(ctx.settings);
      const signature = req.headers[s.signature_header.toLowerCase()];
      const timestamp = req.headers['x-cs-delivery-timestamp'];
      if (!signature || !timestamp || signature.length > 256) throw new Error('signature headers missing');
      const at = parseDeliveryTimestamp(timestamp);
      if (!at || Math.abs(req.now.getTime() - at.getTime()) > s.replay_window_seconds * 1000) throw new Error('delivery timestamp outside the replay window');
      const nonce = matchFalconSignature({ secret: ctx.secret, rawBody: req.rawBody, timestamp, signature, safeEqual: ctx.safeEqual });
      if (!nonce) throw new Error('signature mismatch');
      // §4.3 and the issue: the same signed request twice is a replay, refused within the window
      // (the pipeline claims the signature with the delivery's record). The signed delivery time
      // leads the nonce (a replay repeats it: it is signed): stored nonces then grow with time
      // and are appended to their index, instead of each dirtying a random page of it.
      return { nonce: `${String(at.getTime()).padStart(15, '0')}:${nonce}` };
    },
    parse(req, ctx) {
      const options = { mapping, upnIsEmail: settingsOf(ctx.settings).upn_is_email };
      let body: unknown;
      try {
        body = JSON.parse(req.rawBody.toString('utf8').replace(/^\uFEFF/, ''));
      } catch {
        throw errors.badRequest('the body is not JSON');
      }
      if (body === null || typeof body !== 'object' || Array.isArray(body)) throw errors.badRequest('the body must be a JSON object');
      try {
        // Event Streams events have the envelope (§4.2); ZTA payloads the assessment (§4.4); the rest is a workflow detection (§4.3).
        if ('metadata' in body || 'event' in body) return [fromStream(body, options)];
        if ('assessment' in body) return [fromZta(body, options)];
        return [fromWorkflow(body, options)];
      } catch (err) {
        // Nothing a vendor sends may surface as a 500: anything unexpected is a malformed payload.
        if (err instanceof ServiceError) throw err;
        throw errors.badRequest('the payload is malformed', { cause: err });
      }
    },
  };
}
