/**
 * One error hierarchy with stable codes (STYLE §6). `status` is the HTTP status the error maps
 * to; `expose` says whether `description` may be shown to the client. The http error mapper is
 * the only place these become responses.
 */
export class ServiceError extends Error {
  readonly status: number;
  readonly code: string;
  readonly description: string;
  readonly expose: boolean;
  /** Extra response headers (e.g. WWW-Authenticate, Allow, Retry-After). */
  readonly headers: Readonly<Record<string, string>>;
  /** Field-level detail for validation errors: JSON pointer-ish path → message. */
  readonly fields: ReadonlyArray<{ path: string; message: string }>;

  constructor(
    status: number,
    code: string,
    description: string,
    opts: {
      cause?: unknown;
      expose?: boolean;
      headers?: Record<string, string>;
      fields?: Array<{ path: string; message: string }>;
    } = {},
  ) {
    super(description, { cause: opts.cause });
    this.name = 'ServiceError';
    this.status = status;
    this.code = code;
    this.description = description;
    this.expose = opts.expose ?? status < 500;
    this.headers = opts.headers ?? {};
    this.fields = opts.fields ?? [];
  }
}

type Opts = ConstructorParameters<typeof ServiceError>[3];

/** Factories named after the condition, so call sites read as prose. */
export const errors = {
  badRequest: (description: string, opts?: Opts) => new ServiceError(400, 'invalid_request', description, opts),
  unauthorized: (description: string, opts?: Opts) => new ServiceError(401, 'invalid_token', description, opts),
  forbidden: (description: string, opts?: Opts) => new ServiceError(403, 'insufficient_scope', description, opts),
  notFound: (description: string, opts?: Opts) => new ServiceError(404, 'not_found', description, opts),
  methodNotAllowed: (allow: string[]) =>
    new ServiceError(405, 'method_not_allowed', 'method not allowed on this resource', {
      headers: { Allow: allow.join(', ') },
    }),
  conflict: (description: string, opts?: Opts) => new ServiceError(409, 'conflict', description, opts),
  payloadTooLarge: (description: string, opts?: Opts) => new ServiceError(413, 'payload_too_large', description, opts),
  unsupportedMediaType: (description: string, opts?: Opts) =>
    new ServiceError(415, 'unsupported_media_type', description, opts),
  tooManyRequests: (description: string, opts?: Opts) => new ServiceError(429, 'too_many_requests', description, opts),
  unavailable: (description: string, opts?: Opts) =>
    new ServiceError(503, 'unavailable', description, { ...opts, expose: true }),
};
