import { ServiceError, errors } from '../../domain/errors.js';

/**
 * Translates what libraries throw at the HTTP boundary into ServiceErrors (STYLE §7). Anything
 * unrecognised becomes an opaque 500 whose detail only reaches the log.
 */
export function toServiceError(err: unknown): ServiceError {
  if (err instanceof ServiceError) return err;
  const e = err as { type?: unknown; status?: unknown; statusCode?: unknown; expose?: unknown; limit?: unknown };
  // body-parser (express.json) errors carry a `type`.
  switch (e?.type) {
    case 'entity.parse.failed':
      return errors.badRequest('request body is not valid JSON', { cause: err });
    case 'entity.too.large':
      return errors.payloadTooLarge(`request body exceeds the ${String(e.limit)} byte limit`, { cause: err });
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return errors.unsupportedMediaType('unsupported request body encoding or charset', { cause: err });
    case 'request.aborted':
    case 'request.size.invalid':
      return errors.badRequest('request body was incomplete', { cause: err });
  }
  // The router decodes path params and throws a URIError (status 400) for a broken %-escape.
  if (err instanceof URIError) return errors.badRequest('the request path contains an invalid %-escape', { cause: err });
  // Other http-errors raised by express itself are 4xx by design and say so with `expose`.
  const status = typeof e?.status === 'number' ? e.status : typeof e?.statusCode === 'number' ? e.statusCode : 500;
  if (status >= 400 && status < 500 && e?.expose === true) {
    return new ServiceError(status, status === 404 ? 'not_found' : 'invalid_request', 'the request could not be processed', { cause: err });
  }
  return new ServiceError(500, 'server_error', 'internal error', { cause: err, expose: false });
}
