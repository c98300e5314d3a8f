import type { Logger } from '../../observability/logger.js';
import type { SourcesService } from '../../sources/sources-service.js';
import { flatHeaders } from '../flat-headers.js';
import type { HotRoute } from './hot-path.js';

/**
 * `POST /sources/{account_id}/{source_id}`: a vendor webhook delivery (sources issue). The raw
 * bytes, bounded, go to the source's adapter (signatures are over them); the delivery is stored
 * before the 204, and scored after it (Okta waits 3 s at most).
 */
export function sourceWebhookRoute(deps: { sources: SourcesService; bodyLimitBytes: number; logger: Logger }): HotRoute {
  return {
    method: 'POST',
    pattern: /^\/sources\/([^/]+)\/([^/]+)\/?$/i,
    label: '/sources/:account_id/:source_id',
    surface: 'oauth',
    async handle(x, [accountId, sourceId]) {
      const rawBody = await x.readBody(deps.bodyLimitBytes);
      const r = await deps.sources.receive(accountId!, sourceId!, { method: 'POST', headers: flatHeaders(x.req.headers), rawBody, now: new Date() });
      // Recorded: queued for scoring after the answer (waits only while the queue is full).
      await r.process();
      x.account = accountId;
      x.empty(204);
    },
  };
}
