import type { ApiTokenService } from '../../accounts/api-tokens.js';
import { errors } from '../../domain/errors.js';
import type { IngestSignals } from '../../risk/ingest-signals.js';
import { successBody } from '../cloudflare/envelope.js';
import { bearerPrincipal, checkOwnAccount, checkScope } from '../middleware/authenticate.js';
import { parseParts } from '../middleware/validate.js';
import { toRiskSignals } from '../risk-scoring/to-risk-signals.js';
import { presentIngest } from '../risk-scoring/presenters.js';
import { SignalsBody } from '../risk-scoring/schema.js';
import type { HotRoute } from './hot-path.js';

/** `application/json` or any `application/*+json`, parameters aside (what express.json takes). */
const JSON_TYPE = /^application\/(?:[^;\s/]+\+)?json\s*(?:;|$)/i;
const CHARSET = /;\s*charset\s*=\s*"?([^";\s]+)/i;

/**
 * `POST /client/v4/accounts/{account_id}/zt_risk_scoring/signals` (scope risk:write): the
 * scoring engine's API intake, with the same checks, in the same order and with the same
 * errors as every express route of the Cloudflare surface: bearer token, own account, scope,
 * then the JSON body against the schema.
 */
export function signalsRoute(deps: { tokens: ApiTokenService; ingest: IngestSignals; bodyLimitBytes: number; onIngested: () => void }): HotRoute {
  return {
    method: 'POST',
    pattern: /^\/client\/v4\/accounts\/([^/]+)\/zt_risk_scoring\/signals\/?$/i,
    label: '/client/v4/accounts/:account_id/zt_risk_scoring/signals',
    surface: 'cloudflare',
    async handle(x, [accountId], query) {
      const tokenInQuery = query !== '' && new URLSearchParams(query).has('access_token');
      const principal = await bearerPrincipal(deps.tokens, x.header('authorization'), tokenInQuery);
      x.account = principal.accountId;
      checkOwnAccount(principal, accountId);
      checkScope(principal, 'risk:write');
      // As express.json does on every other route: only a JSON media type is parsed; any other
      // type counts as no body, and the schema then names what is missing.
      const type = x.header('content-type') ?? '';
      const isJson = JSON_TYPE.test(type);
      const charset = isJson ? CHARSET.exec(type)?.[1]?.toLowerCase() : undefined;
      if (charset && charset !== 'utf-8' && charset !== 'utf8') throw errors.unsupportedMediaType(`charset "${charset}" is not supported; send UTF-8`);
      const raw = await x.readBody(deps.bodyLimitBytes);
      let body: unknown;
      if (isJson && raw.length > 0) {
        try {
          body = JSON.parse(raw.toString('utf8'));
        } catch {
          throw errors.badRequest('request body is not valid JSON');
        }
      }
      const { body: input } = parseParts({ body: SignalsBody }, { body });
      const result = await deps.ingest(accountId, toRiskSignals(input.signals));
      // Changes are durable in the feed already; fan them out to streams without waiting for a tick.
      if (result.changes.length) deps.onIngested();
      x.json(200, successBody(presentIngest(result)));
    },
  };
}
