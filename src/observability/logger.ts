import winston from 'winston';
import { batchedStdio, type LineSink } from './line-batch.js';

/** The closed set of log categories (STYLE §12). */
export type LogCategory = 'http' | 'risk' | 'transmit' | 'receive' | 'source' | 'storage' | 'lifecycle' | 'cli';

export interface Logger {
  error(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  info(message: string, meta?: Record<string, unknown>): void;
  debug(message: string, meta?: Record<string, unknown>): void;
  /** A logger whose lines carry `category`. */
  child(category: LogCategory): Logger;
}

/** Keys whose values are never logged, at any depth. */
const SECRET_KEY = /(authorization|token|secret|password|passwd|cookie|api[-_]?key|private|master[-_]?key|client_secret|signature)/i;
/** Values that look like credentials wherever they appear (rw_ tokens, JWTs, Bearer values). */
const SECRET_VALUE = /(rw_[A-Za-z0-9_-]{16,}|eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*|Bearer\s+\S+)/g;

/** Returns a copy of `value` with secrets replaced by `[redacted]`. Exported for tests. */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.replace(SECRET_VALUE, '[redacted]');
  if (value === null || typeof value !== 'object' || depth > 6) return value;
  if (value instanceof Error) return { name: value.name, message: redact(value.message), stack: value.stack };
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) ? '[redacted]' : redact(v, depth + 1);
  return out;
}

/** winston's `info[MESSAGE]` (the formatted line) and `info[LEVEL]` (the level before colorize): triple-beam's symbols. */
const MESSAGE = Symbol.for('message');
const LEVEL = Symbol.for('level');

/** The Console transport's routing (error lines to stderr), writing through batched sinks. */
class BatchedConsole extends winston.transports.Console {
  constructor(private readonly sinks: { stdout: LineSink; stderr: LineSink }) {
    super({ stderrLevels: ['error'] });
  }

  override log(info: Record<string | symbol, unknown>, next: () => void): void {
    const line = `${String(info[MESSAGE])}\n`;
    if (info[LEVEL] === 'error') this.sinks.stderr.write(line);
    else this.sinks.stdout.write(line);
    next();
  }
}

const redactFormat = winston.format((info) => {
  for (const key of Object.keys(info)) {
    if (key === 'level' || key === 'category' || key === 'timestamp') continue;
    (info as Record<string, unknown>)[key] = SECRET_KEY.test(key) ? '[redacted]' : redact(info[key]);
  }
  return info;
});

/**
 * The one winston wrapper. `json`: one JSON object per line (for collectors); `pretty`: for a
 * terminal. `stream: 'stderr'` is for the CLI, whose stdout carries only its result.
 */
export function createLogger(opts: { level: string; format: 'json' | 'pretty'; stream?: 'stdout' | 'stderr'; silent?: boolean }): Logger {
  const format =
    opts.format === 'json'
      ? winston.format.combine(redactFormat(), winston.format.timestamp(), winston.format.json())
      : winston.format.combine(
          redactFormat(),
          winston.format.timestamp(),
          winston.format.colorize(),
          winston.format.printf(({ timestamp, level, message, category, ...rest }) => {
            const extra = Object.keys(rest).length ? ' ' + JSON.stringify(rest) : '';
            return `${String(timestamp)} ${level} [${String(category ?? '-')}] ${String(message)}${extra}`;
          }),
        );
  const root = winston.createLogger({
    level: opts.level,
    format,
    silent: opts.silent ?? false,
    transports: [
      // The CLI writes its diagnostics straight to stderr, and its log lines must stay in order
      // with them; the server batches (line-batch.ts).
      opts.stream === 'stderr'
        ? new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'] })
        : new BatchedConsole(batchedStdio()),
    ],
  });
  const wrap = (w: winston.Logger): Logger => ({
    error: (m, meta) => w.error(m, meta),
    warn: (m, meta) => w.warn(m, meta),
    info: (m, meta) => w.info(m, meta),
    debug: (m, meta) => w.debug(m, meta),
    child: (category) => wrap(root.child({ category })),
  });
  return wrap(root);
}
