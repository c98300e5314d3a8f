import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';

/** Accept a caller's id only when it is short and plain, so it cannot inject into logs. */
const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Gives every request an id (the caller's X-Request-Id when sane) and echoes it on the response. */
export const requestId: RequestHandler = (req, res, next) => {
  const id = requestIdFrom(req.get('x-request-id'));
  res.locals.requestId = id;
  res.setHeader('X-Request-Id', id);
  next();
};

/** The caller's X-Request-Id when sane, else a fresh UUID. */
export function requestIdFrom(given: string | undefined): string {
  return given && SAFE_ID.test(given) ? given : randomUUID();
}
