import { z } from 'zod';

/** The subset of `fetch` the re-fetch needs (riskwire's guardedFetch satisfies it). */
export type FetchLike = (url: string, init: { method?: string; headers?: Record<string, string> }) => Promise<Response>;

/**
 * What the console answered: the threat or alert as SentinelOne holds it now, or why not.
 * `transient`: the console could not answer now (unreachable, rate limited, failing, refusing our
 * token); asked again later it may confirm the event. Otherwise it answered and did not confirm.
 */
export type Fetched = { item: unknown } | { failed: string; transient: boolean };

// §5.1 list endpoints answer {data: [...], pagination}; only data is read.
const ListResponse = z.object({ data: z.array(z.unknown()) });

const PATHS = {
  threat: '/web/api/v2.1/threats', // §5.1
  alert: '/web/api/v2.1/cloud-detection/alerts', // §5.2
} as const;

/** The id a listed item carries, to make sure the console answered about the one asked for. */
function idOf(kind: keyof typeof PATHS, item: unknown): unknown {
  const o = (item ?? {}) as Record<string, any>;
  return kind === 'threat' ? (o.id ?? o.threatInfo?.threatId) : o.alertInfo?.alertId;
}

/**
 * §5.3: the push is unsigned, so it is only a hint — fetch the threat (or alert) back by id from
 * the Management API with the service's own token (`Authorization: ApiToken <token>`, §5.1) and
 * score what the console says. Never throws: a failure is returned as a reason, so the caller
 * either records the event as ignored (the console does not know it) or asks the vendor to
 * deliver it again (the console could not answer), never scoring data nobody vouched for.
 */
export async function fetchFromConsole(
  fetch: FetchLike,
  opts: { baseUrl: string; token: string },
  kind: keyof typeof PATHS,
  id: string,
): Promise<Fetched> {
  const url = `${opts.baseUrl}${PATHS[kind]}?${new URLSearchParams({ ids: id })}`;
  let res: Response;
  try {
    res = await fetch(url, { method: 'GET', headers: { authorization: `ApiToken ${opts.token}`, accept: 'application/json' } });
  } catch (err) {
    // guardedFetch's messages name the method and origin, never the headers.
    return { failed: `SentinelOne API unreachable: ${(err as Error).message}`, transient: true };
  }
  if (res.status !== 200) {
    await res.body?.cancel().catch(() => undefined);
    // Only "no such item" is an answer; 401/403 (a token to fix), 429 and 5xx may pass.
    return { failed: `SentinelOne API answered ${res.status}`, transient: res.status !== 404 };
  }
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    return { failed: 'SentinelOne API answered with a body that is not JSON', transient: true };
  }
  const list = ListResponse.safeParse(body);
  if (!list.success) return { failed: 'SentinelOne API answered without a data array', transient: true };
  const item = list.data.data.find((x) => idOf(kind, x) === id);
  return item === undefined ? { failed: `${kind} ${id} not found at the SentinelOne API`, transient: false } : { item };
}
