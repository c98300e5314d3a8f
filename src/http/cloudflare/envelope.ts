import type { Response } from 'express';

/** `result_info` of paginated Cloudflare responses (vendors reference §1.2). */
export interface ResultInfo {
  page: number;
  per_page: number;
  count: number;
  total_count: number;
}

/** A Cloudflare v4 message: numeric code ≥ 1000, text, and where in the request it points. */
export interface CfMessage {
  code: number;
  message: string;
  source?: { pointer: string };
}

/** Sends a success envelope `{success: true, errors: [], messages: [], result}`. */
export function sendResult(res: Response, result: unknown, opts: { status?: number; resultInfo?: ResultInfo } = {}): void {
  res.status(opts.status ?? 200).json(successBody(result, opts.resultInfo));
}

/** The success envelope body. */
export function successBody(result: unknown, resultInfo?: ResultInfo): Record<string, unknown> {
  return { success: true, errors: [], messages: [], result, ...(resultInfo ? { result_info: resultInfo } : {}) };
}

/** The failure envelope body. */
export function failureBody(errors: CfMessage[]): Record<string, unknown> {
  return { success: false, errors, messages: [], result: null };
}
