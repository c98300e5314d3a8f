import type { RequestHandler, Response } from 'express';
import type { z } from 'zod';
import { errors } from '../../domain/errors.js';

/** Schemas for the parts of a request an endpoint reads. */
export interface RequestSchemas {
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
}

type Parsed<S extends RequestSchemas> = {
  [K in keyof S]: S[K] extends z.ZodType ? z.output<S[K]> : never;
};

/**
 * Parses params, query and body with zod (STYLE §4) and stores the typed result for the
 * handler; any failure is one 400 listing every bad field with its path.
 */
export function validate<S extends RequestSchemas>(schemas: S): RequestHandler {
  return (req, res, next) => {
    res.locals.input = parseParts(schemas, { params: req.params, query: req.query, body: req.body });
    next();
  };
}

/** The parsing behind `validate` (shared with the hot path): a missing body counts as `{}`. */
export function parseParts<S extends RequestSchemas>(schemas: S, parts: { params?: unknown; query?: unknown; body?: unknown }): Parsed<S> {
  const fields: Array<{ path: string; message: string }> = [];
  const out: Record<string, unknown> = {};
  for (const part of ['params', 'query', 'body'] as const) {
    const schema = schemas[part];
    if (!schema) continue;
    const value = part === 'body' && parts.body === undefined ? {} : parts[part];
    const r = schema.safeParse(value);
    if (r.success) out[part] = r.data;
    else for (const i of r.error.issues) fields.push({ path: `/${part}/${i.path.join('/')}`.replace(/\/$/, ''), message: i.message });
  }
  if (fields.length) {
    const summary = fields.map((f) => `${f.path}: ${f.message}`).join('; ');
    throw errors.badRequest(`invalid request: ${summary}`, { fields });
  }
  return out as Parsed<S>;
}

/** The values `validate(schemas)` stored, typed by the same schemas. */
export function input<S extends RequestSchemas>(res: Response, _schemas: S): Parsed<S> {
  return res.locals.input as Parsed<S>;
}
