import { Router, type RequestHandler } from 'express';
import type { Principal } from '../../accounts/api-tokens.js';
import type { Config } from '../../config/index.js';
import type { Clock } from '../../domain/clock.js';
import { errors } from '../../domain/errors.js';
import { isAccountId } from '../../domain/account.js';
import type { SsfServices } from '../../ssf/index.js';
import { integrationService, WELL_KNOWN_PREFIXES, WELL_KNOWN_ROOTS } from '../../ssf/integrations/index.js';
import { outboundUrlPolicy } from '../../ssf/streams/outbound-url.js';
import type { Storage } from '../../storage/ports.js';
import { sendResult } from '../cloudflare/envelope.js';
import { requireScope } from '../middleware/authenticate.js';
import { input, validate } from '../middleware/validate.js';
import { route } from '../route.js';
import { presentIntegration } from './presenters.js';
import * as S from './schema.js';

const actorOf = (res: { locals: Record<string, unknown> }) => `token:${(res.locals.principal as Principal).tokenId}`;
const BASE = '/client/v4/accounts/:account_id/zt_risk_scoring/integrations';

/**
 * Cloudflare's risk score integrations API (vendors reference §1.3 #6–#11), which the official
 * SDK's `zeroTrust.riskScoring.integrations` calls, and the public SSF configuration document
 * each integration's `well_known_url` names (§1.8). Mounted before the risk scoring router, whose
 * `/:user_id` would otherwise take `/integrations`.
 */
export function integrationsRouter(deps: { config: Config; storage: Storage; ssf: SsfServices; now: Clock; guard: RequestHandler[] }): Router {
  const router = Router();
  const integrations = integrationService({
    storage: deps.storage,
    now: deps.now,
    outboundUrls: outboundUrlPolicy({ allowPrivateNetwork: deps.config.allowPrivateNetwork }),
    maxPerAccount: 100,
    endpoints: { issuer: (a) => deps.ssf.issuer(a), jwksUri: (a) => deps.ssf.endpoints(a).jwks },
  });
  const show = (i: Parameters<typeof presentIntegration>[0]) => presentIntegration(i, deps.config.publicUrl);
  // Cloudflare §1.1: integrations GET needs Read or Write; POST/PUT/DELETE need Write.
  const scope = (s: 'risk:read' | 'risk:write') => [...deps.guard, requireScope(s)];
  const Account = { params: S.AccountParams };
  const Create = { params: S.AccountParams, body: S.CreateIntegrationBody };
  const One = { params: S.IntegrationParams };
  const Update = { params: S.IntegrationParams, body: S.UpdateIntegrationBody };
  const ByRef = { params: S.ReferenceParams };

  route(router, BASE, {
    get: [...scope('risk:read'), validate(Account), async (_req, res) => {
      // A bare array (the SDK reads it as a SinglePage, §1.2).
      sendResult(res, (await integrations.list(input(res, Account).params.account_id)).map(show));
    }],
    post: [...scope('risk:write'), validate(Create), async (_req, res) => {
      const { params, body } = input(res, Create);
      // 200, as Cloudflare's create answers (dlp-zt-risk-score-integration-create).
      sendResult(res, show(await integrations.create(params.account_id, { tenantUrl: body.tenant_url, referenceId: body.reference_id ?? null }, actorOf(res))));
    }],
  });
  route(router, `${BASE}/reference_id/:reference_id`, {
    get: [...scope('risk:read'), validate(ByRef), async (_req, res) => {
      const { params } = input(res, ByRef);
      sendResult(res, show(await integrations.getByReference(params.account_id, params.reference_id)));
    }],
  });
  route(router, `${BASE}/:integration_id`, {
    get: [...scope('risk:read'), validate(One), async (_req, res) => {
      const { params } = input(res, One);
      sendResult(res, show(await integrations.get(params.account_id, params.integration_id)));
    }],
    put: [...scope('risk:write'), validate(Update), async (_req, res) => {
      const { params, body } = input(res, Update);
      const i = await integrations.update(params.account_id, params.integration_id, { tenantUrl: body.tenant_url, referenceId: body.reference_id ?? null, active: body.active }, actorOf(res));
      sendResult(res, show(i));
    }],
    delete: [...scope('risk:write'), validate(One), async (_req, res) => {
      const { params } = input(res, One);
      await integrations.delete(params.account_id, params.integration_id, actorOf(res));
      sendResult(res, null); // §1.3 #10: `{}` or null
    }],
  });

  // The well_known_url document: public (Okta fetches it without credentials, §3.1.2); a trailing
  // slash is tolerated (the SDK documents the URL with one).
  const WellKnown = { params: S.WellKnownParams };
  for (const prefix of WELL_KNOWN_PREFIXES) {
    for (const path of [`${prefix}/:account_id/:integration_id`, `${prefix}/:account_id/:integration_id/`]) {
      route(router, path, {
        get: [validate(WellKnown), async (_req, res) => {
          const { params } = input(res, WellKnown);
          if (!isAccountId(params.account_id)) throw errors.notFound('unknown integration');
          res.json(await integrations.configuration(params.account_id, params.integration_id));
        }],
      });
    }
  }
  // Cloudflare's shape, the integration id alone (§1.8); both prefixes, trailing slash tolerated.
  const ById = { params: S.WellKnownByIdParams };
  for (const root of WELL_KNOWN_ROOTS) {
    for (const path of [`${root}/:integration_id`, `${root}/:integration_id/`]) {
      route(router, path, {
        get: [validate(ById), async (_req, res) => {
          res.json(await integrations.configurationById(input(res, ById).params.integration_id));
        }],
      });
    }
  }
  return router;
}
