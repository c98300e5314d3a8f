import type { Logger } from '../../observability/logger.js';
import { errors } from '../../domain/errors.js';
import type { ReceiverService } from '../../receiver/receiver-service.js';
import type { HotRoute } from './hot-path.js';

/** RFC 8935 §2.1: the body is `application/secevent+jwt` (parameters aside). */
const SET_TYPE = /^application\/secevent\+jwt\s*(?:;|$)/i;
/** RFC 8935 leaves the size open; a SET is small, and 64 KiB bounds what one costs to verify. */
const SET_BODY_LIMIT = 64 * 1024;

/**
 * `POST /ssf-receiver/{account_id}/{subscription_id}`: a subscription's RFC 8935 push endpoint.
 * Errors are `{err, description}` with Content-Language (§2.3); a valid SET is stored before the
 * 202 with an empty body (§2.2) and turned into risk after it.
 */
export function setPushRoute(deps: { receiver: ReceiverService; logger: Logger }): HotRoute {
  return {
    method: 'POST',
    pattern: /^\/ssf-receiver\/([^/]+)\/([^/]+)\/?$/i,
    label: '/ssf-receiver/:account_id/:subscription_id',
    surface: 'set-push',
    async handle(x, [accountId, subscriptionId]) {
      if (!SET_TYPE.test(x.header('content-type') ?? '')) throw errors.unsupportedMediaType('Content-Type must be application/secevent+jwt');
      const jws = (await x.readBody(SET_BODY_LIMIT)).toString('utf8').trim();
      if (accountId!.length > 64 || subscriptionId!.length > 64) throw errors.notFound('unknown push endpoint');
      const queue = await deps.receiver.receive(accountId!, subscriptionId!, jws, x.header('authorization'));
      // Stored: queued for scoring after the answer (waits only while the queue is full).
      await queue();
      x.account = accountId;
      x.empty(202);
    },
  };
}
