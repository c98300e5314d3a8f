import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type Express } from 'express';
import type { AccountService } from '../accounts/accounts.js';
import type { ApiTokenService } from '../accounts/api-tokens.js';
import type { Config } from '../config/index.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { requestId } from './middleware/request-id.js';
import { requestLog } from './middleware/request-log.js';
import { authenticate, requireOwnAccount } from './middleware/authenticate.js';
import { errorHandler, notFound } from './errors/error-handler.js';
import { healthRouter, type ReadinessCheck } from './health/router.js';
import { accountsRouter } from './accounts/router.js';
import { tokensRouter } from './tokens/router.js';
import { riskScoringRouter } from './risk-scoring/router.js';
import type { RiskServices } from '../risk/index.js';
import type { Storage } from '../storage/ports.js';
import type { Clock } from '../domain/clock.js';
import type { SsfServices } from '../ssf/index.js';
import { transmitterRouter } from './ssf/transmitter-router.js';
import { ssfAdminRouter } from './ssf/admin-router.js';
import { integrationsRouter } from './integrations/router.js';
import { receiverRouter } from './receiver/router.js';
import type { ReceiverService } from '../receiver/receiver-service.js';
import type { SourcesService } from '../sources/sources-service.js';
import { sourcesRouter } from './sources/router.js';
import { createHotPath } from './hot-path/hot-path.js';
import { signalsRoute } from './hot-path/signals.js';
import { sourceWebhookRoute } from './hot-path/source-webhook.js';
import { setPushRoute } from './hot-path/set-push.js';

/** What the HTTP layer needs from the rest of the app. */
export interface HttpDeps {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  accounts: AccountService;
  tokens: ApiTokenService;
  risk: RiskServices;
  ssf: SsfServices;
  receiver: ReceiverService;
  sources: SourcesService;
  storage: Storage;
  now: Clock;
  ready: ReadinessCheck;
  /** True once shutdown began: responses then close their connection. */
  isDraining: () => boolean;
}

/** Builds the express app: request id and log first, routers, then 404 and the one error mapper. */
export function createHttpApp(deps: HttpDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(requestId);
  app.use((_req, res, next) => {
    if (deps.isDraining()) res.set('Connection', 'close');
    next();
  });
  app.use(requestLog(deps.logger.child('http'), deps.metrics));
  // JSON bodies only for JSON media types. (SET push and vendor webhooks read their own bodies
  // on the hot path.)
  app.use(express.json({ limit: deps.config.http.bodyLimitBytes, type: ['application/json', 'application/*+json'] }));

  // Every /client/v4/accounts/:account_id route: a valid token of that very account.
  const accountGuard = [authenticate(deps.tokens), requireOwnAccount];
  app.use(healthRouter({ metrics: deps.metrics, ready: deps.ready }));
  app.use(accountsRouter({ accounts: deps.accounts, guard: accountGuard }));
  app.use(tokensRouter({ tokens: deps.tokens, storage: deps.storage, guard: accountGuard }));
  // Before the risk scoring router: its `/:user_id` route would take `/integrations`.
  app.use(integrationsRouter({ config: deps.config, storage: deps.storage, ssf: deps.ssf, now: deps.now, guard: accountGuard }));
  app.use(riskScoringRouter({ risk: deps.risk, storage: deps.storage, now: deps.now, guard: accountGuard, onRiskChanged: () => deps.ssf.kick() }));
  app.use(ssfAdminRouter({ ssf: deps.ssf, storage: deps.storage, now: deps.now, guard: accountGuard }));
  app.use(sourcesRouter({ sources: deps.sources, guard: accountGuard }));
  app.use(receiverRouter({ receiver: deps.receiver, guard: accountGuard }));
  app.use(transmitterRouter({ ssf: deps.ssf, tokens: deps.tokens, storage: deps.storage, publicUrl: deps.config.publicUrl, keyPrepublishSeconds: deps.config.ssf.keyPrepublishSeconds }));

  app.use(notFound);
  app.use(errorHandler(deps.logger.child('http')));
  return app;
}

/**
 * The server's request listener: the hot path (signals, vendor webhooks, SET push; see
 * src/http/hot-path) first, the express app for everything else.
 */
export function createRequestListener(deps: HttpDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const app = createHttpApp(deps);
  const bodyLimitBytes = deps.config.http.bodyLimitBytes;
  const hot = createHotPath([
    signalsRoute({ tokens: deps.tokens, ingest: deps.risk.ingest, bodyLimitBytes, onIngested: () => deps.ssf.kick() }),
    sourceWebhookRoute({ sources: deps.sources, bodyLimitBytes, logger: deps.logger.child('source') }),
    setPushRoute({ receiver: deps.receiver, logger: deps.logger.child('receive') }),
  ], { logger: deps.logger.child('http'), metrics: deps.metrics, isDraining: deps.isDraining });
  return (req, res) => {
    if (!hot(req, res)) app(req, res);
  };
}
