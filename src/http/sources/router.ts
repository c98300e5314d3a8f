import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import type { Principal } from '../../accounts/api-tokens.js';
import { visibleSettings, type SourcesService } from '../../sources/sources-service.js';
import type { Source } from '../../storage/source-ports.js';
import { sendResult } from '../cloudflare/envelope.js';
import { requireScope } from '../middleware/authenticate.js';
import { input, validate } from '../middleware/validate.js';
import { route } from '../route.js';
import { flatHeaders } from '../flat-headers.js';

const AccountParam = z.object({ account_id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'malformed account id') });
const SourceParams = AccountParam.extend({ source_id: z.string().regex(/^[0-9a-f]{24}$/, 'malformed source id') });
const CreateBody = z.object({
  type: z.enum(['crowdstrike', 'sentinelone', 'okta_event_hook'], { error: 'type must be crowdstrike, sentinelone or okta_event_hook' }),
  name: z.string().trim().min(1).max(200),
  settings: z.record(z.string(), z.unknown()).optional(),
}).strict();
const UpdateBody = z.object({ name: z.string().trim().min(1).max(200).optional(), settings: z.record(z.string(), z.unknown()).optional(), rotate_secret: z.boolean().optional() }).strict();
const EventsQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) });

/** A source as the API shows it: credential settings only as "set", never their values. */
const present = (s: Source, webhookUrl: string) =>
  ({ id: s.id, type: s.type, name: s.name, settings: visibleSettings(s), webhook_url: webhookUrl, created_at: s.createdAt.toISOString(), updated_at: s.updatedAt.toISOString() });

/** Sources API (scope sources:admin) and the GET of the vendor webhook endpoint every source gets. */
export function sourcesRouter(deps: { sources: SourcesService; guard: RequestHandler[] }): Router {
  const router = Router();
  const admin = [...deps.guard, requireScope('sources:admin')];
  const actor = (res: { locals: Record<string, unknown> }) => `token:${(res.locals.principal as Principal).tokenId}`;
  const Create = { params: AccountParam, body: CreateBody };
  const One = { params: SourceParams };
  const Update = { params: SourceParams, body: UpdateBody };
  const Events = { params: SourceParams, query: EventsQuery };
  route(router, '/client/v4/accounts/:account_id/sources', {
    post: [...admin, validate(Create), async (_req, res) => {
      const { params, body } = input(res, Create);
      const { source, secret } = await deps.sources.create(params.account_id, body, actor(res));
      // The secret is shown this once; it is stored sealed with the master key.
      sendResult(res, { ...present(source, deps.sources.webhookUrl(source)), secret }, { status: 201 });
    }],
    get: [...admin, validate({ params: AccountParam }), async (_req, res) => {
      const list = await deps.sources.list((res.locals.input as { params: { account_id: string } }).params.account_id);
      sendResult(res, list.map((s) => present(s, deps.sources.webhookUrl(s))));
    }],
  });
  route(router, '/client/v4/accounts/:account_id/sources/:source_id', {
    get: [...admin, validate(One), async (_req, res) => {
      const { params } = input(res, One);
      const s = await deps.sources.get(params.account_id, params.source_id);
      sendResult(res, present(s, deps.sources.webhookUrl(s)));
    }],
    patch: [...admin, validate(Update), async (_req, res) => {
      const { params, body } = input(res, Update);
      const { source, secret } = await deps.sources.update(params.account_id, params.source_id, body, actor(res));
      sendResult(res, { ...present(source, deps.sources.webhookUrl(source)), ...(secret ? { secret } : {}) });
    }],
    delete: [...admin, validate(One), async (_req, res) => {
      const { params } = input(res, One);
      await deps.sources.delete(params.account_id, params.source_id, actor(res));
      sendResult(res, null);
    }],
  });
  route(router, '/client/v4/accounts/:account_id/sources/:source_id/events', {
    get: [...admin, validate(Events), async (_req, res) => {
      const { params, query } = input(res, Events);
      await deps.sources.get(params.account_id, params.source_id);
      const events = await deps.sources.events(params.account_id, params.source_id, query.limit);
      sendResult(res, events.map((e) => ({ event_id: e.eventId, kind: e.kind, received_at: e.receivedAt.toISOString(), outcome: e.outcome })));
    }],
  });

  // The webhook's GET (Okta's one-time verification); its POST is served by the hot path
  // (src/http/hot-path/source-webhook.ts).
  route(router, '/sources/:account_id/:source_id', {
    get: [async (req, res) => {
      const r = await deps.sources.receiveGet(String(req.params.account_id), String(req.params.source_id), {
        method: req.method,
        headers: flatHeaders(req.headers),
        rawBody: Buffer.alloc(0),
        now: new Date(),
      });
      res.status(r.status).json(r.body);
    }],
  }, { servedElsewhere: ['post'] });
  return router;
}
