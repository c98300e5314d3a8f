import type { IncomingHttpHeaders } from 'node:http';

/** Request headers as one string each (repeated headers joined with ", "), names as node gives them (lowercase). */
export function flatHeaders(headers: IncomingHttpHeaders): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [name, v] of Object.entries(headers)) out[name] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}
