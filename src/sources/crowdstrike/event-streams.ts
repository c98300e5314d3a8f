import http from 'node:http';
import https from 'node:https';
import { ServiceError } from '../../domain/errors.js';
import type { GuardedFetch } from '../../ssf/outbound/guarded-fetch.js';
import { guardedLookup } from '../../ssf/outbound/guarded-lookup.js';
import type { Logger } from '../../observability/logger.js';

/** What one Event Streams consumer needs (vendors reference §4.2). */
export interface EventStreamsSettings {
  readonly baseUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly appId: string;
}

/** One partition's feed, as `GET /sensors/entities/datafeed/v2` lists it (§4.2 step 2). */
interface Feed {
  readonly partition: string;
  readonly dataFeedURL: string;
  readonly token: string;
  readonly refreshUrl: string;
  readonly refreshIntervalSeconds: number;
}

const isAbort = (err: unknown) => (err as { name?: string })?.name === 'AbortError';

/** An event longer than this is not a Falcon event: the stream is dropped and resumed. */
const MAX_LINE_BYTES = 1024 * 1024;

export interface EventStreamsDeps {
  readonly settings: EventStreamsSettings;
  readonly fetch: GuardedFetch;
  readonly allowPrivateNetwork: boolean;
  readonly logger: Logger;
  /** Offsets already processed, per partition. */
  getOffsets(): Promise<Record<string, number>>;
  saveOffset(partition: string, offset: number): Promise<void>;
  /** Records and scores one event; throws when the event is malformed (it is then skipped). */
  ingest(line: Buffer): Promise<void>;
  /** Backoff after a failure: first delay and cap, in ms. */
  readonly backoffMs?: { first: number; max: number };
}

/**
 * The CrowdStrike Event Streams pull connector (§4.2): OAuth2 client credentials, datafeed
 * discovery, one endless NDJSON reader per partition resuming after the last processed offset,
 * and the session refresh before its interval ends. Each event is recorded and scored before its
 * offset is saved, so a crash replays at most the events in flight (recording is idempotent).
 */
/** Reads of one event whose scoring keeps failing before it is skipped (see `stuck`). */
const MAX_ATTEMPTS = 5;

export function startEventStreams(deps: EventStreamsDeps): { stop(): Promise<void> } {
  const abort = new AbortController();
  const { first, max } = deps.backoffMs ?? { first: 1000, max: 60_000 };
  const base = deps.settings.baseUrl.replace(/\/+$/, '');

  const accessToken = async () => {
    const res = await deps.fetch(`${base}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ client_id: deps.settings.clientId, client_secret: deps.settings.clientSecret }),
      signal: abort.signal,
    });
    const body = (await res.json().catch(() => null)) as { access_token?: unknown } | null;
    if (!res.ok || typeof body?.access_token !== 'string') throw new Error(`OAuth2 token request answered ${res.status}`);
    return body.access_token;
  };

  const discover = async (): Promise<Feed[]> => {
    const url = `${base}/sensors/entities/datafeed/v2?${new URLSearchParams({ appId: deps.settings.appId, format: 'json' })}`;
    const res = await deps.fetch(url, { headers: { authorization: `Bearer ${await accessToken()}`, accept: 'application/json' }, signal: abort.signal });
    const body = (await res.json().catch(() => null)) as { resources?: unknown } | null;
    if (!res.ok || !Array.isArray(body?.resources)) throw new Error(`datafeed discovery answered ${res.status}`);
    return body.resources.map((r: any, i: number): Feed => {
      if (typeof r?.dataFeedURL !== 'string' || typeof r?.sessionToken?.token !== 'string' || typeof r?.refreshActiveSessionURL !== 'string') {
        throw new Error('datafeed discovery returned a resource without dataFeedURL, sessionToken.token or refreshActiveSessionURL');
      }
      // The refresh URL ends in the partition number (§4.2 step 4); the feed's position is the fallback.
      const partition = /\/datafeed-actions\/v1\/(\d+)/.exec(r.refreshActiveSessionURL)?.[1] ?? String(i);
      const interval = Number(r.refreshActiveSessionInterval);
      return { partition, dataFeedURL: r.dataFeedURL, token: r.sessionToken.token, refreshUrl: r.refreshActiveSessionURL, refreshIntervalSeconds: Number.isFinite(interval) && interval > 0 ? interval : 1800 };
    });
  };

  const refresh = async (feed: Feed) => {
    const res = await deps.fetch(feed.refreshUrl, { method: 'POST', headers: { authorization: `Bearer ${await accessToken()}`, accept: 'application/json' }, body: '', signal: abort.signal });
    if (!res.ok) throw new Error(`session refresh for partition ${feed.partition} answered ${res.status}`);
  };

  /** Reads one partition until the stream ends or fails; resolves when it ended cleanly. */
  const read = async (feed: Feed, from: number | undefined, sessionSignal: AbortSignal) => {
    const url = new URL(feed.dataFeedURL);
    if (from !== undefined) url.searchParams.set('offset', String(from));
    if (url.protocol !== 'https:' && !(deps.allowPrivateNetwork && url.protocol === 'http:')) throw new Error(`refusing ${url.protocol} data feed (https only)`);
    // Refresh a minute before the interval ends (§4.2 step 4); a failed refresh ends the session.
    const refreshEveryMs = feed.refreshIntervalSeconds >= 120 ? (feed.refreshIntervalSeconds - 60) * 1000 : feed.refreshIntervalSeconds * 500;
    const stream = new AbortController();
    const onAbort = () => stream.abort();
    sessionSignal.addEventListener('abort', onAbort);
    if (sessionSignal.aborted) return;
    const timer = setInterval(() => {
      refresh(feed).catch((err: unknown) => {
        deps.logger.warn('Event Streams session refresh failed; reconnecting', { partition: feed.partition, error: err });
        stream.abort();
      });
    }, refreshEveryMs);
    timer.unref();
    try {
      const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
        const client = url.protocol === 'https:' ? https : http;
        const req = client.request(url, {
          headers: { authorization: `Token ${feed.token}`, accept: 'application/json', connection: 'keep-alive' },
          lookup: guardedLookup(deps.allowPrivateNetwork), agent: false, signal: stream.signal,
        }, resolve);
        req.on('error', reject);
        req.end();
      });
      if (res.statusCode !== 200) {
        res.resume();
        throw new Error(`data feed for partition ${feed.partition} answered ${res.statusCode}`);
      }
      let pending: Buffer = Buffer.alloc(0);
      // `for await` pauses the socket while an event is scored: backpressure reaches CrowdStrike.
      for await (const chunk of res as AsyncIterable<Buffer>) {
        pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
        let nl: number;
        while ((nl = pending.indexOf(0x0a)) >= 0) {
          const line = pending.subarray(0, nl);
          pending = pending.subarray(nl + 1);
          await handle(feed.partition, line);
        }
        if (pending.length > MAX_LINE_BYTES) throw new Error(`an event on partition ${feed.partition} exceeds ${MAX_LINE_BYTES} bytes`);
      }
      if (pending.length) await handle(feed.partition, pending);
    } finally {
      clearInterval(timer);
      sessionSignal.removeEventListener('abort', onAbort);
    }
  };

  /**
   * Attempts at the event each partition is stuck on. An event whose scoring fails for another
   * reason than being malformed is read again in a new session; one that fails this often in a
   * row is a poison event, skipped (logged as an error) so the partition does not stall for good.
   */
  const stuck = new Map<string, { offset: number; attempts: number }>();
  const handle = async (partition: string, line: Buffer) => {
    if (!line.toString('utf8').trim()) return; // keep-alive newlines
    let offset: number | undefined;
    try {
      const o = (JSON.parse(line.toString('utf8')) as { metadata?: { offset?: unknown } })?.metadata?.offset;
      if (typeof o === 'number' && Number.isSafeInteger(o) && o >= 0) offset = o;
    } catch {
      // Not JSON: ingest records it as rejected below.
    }
    try {
      await deps.ingest(line);
    } catch (err) {
      // A malformed event is skipped (it is recorded as rejected). Anything else — the store
      // failing, say — ends the session before the offset moves, so the event is read again
      // after reconnecting instead of being lost; up to MAX_ATTEMPTS times.
      if (!(err instanceof ServiceError && err.status === 400)) {
        const s = stuck.get(partition);
        const attempts = offset !== undefined && s?.offset === offset ? s.attempts + 1 : 1;
        // (Without an offset there is no resuming at it: such an event is skipped at once.)
        if (offset !== undefined && attempts < MAX_ATTEMPTS) {
          stuck.set(partition, { offset, attempts });
          throw err;
        }
        deps.logger.error(`skipped an Event Streams event that failed ${attempts} times`, { partition, offset, error: err });
      } else deps.logger.warn('skipped a malformed Event Streams event', { partition, offset, error: err });
    }
    stuck.delete(partition);
    if (offset !== undefined) await deps.saveOffset(partition, offset);
  };

  const sleep = (ms: number) => new Promise<void>((resolve) => {
    if (abort.signal.aborted) return resolve(); // its 'abort' listener would never fire
    const t = setTimeout(resolve, ms);
    abort.signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
  });

  /**
   * One session: every partition read at once. When any partition fails or its stream ends, the
   * others are stopped too and the whole session is discovered again (fresh session tokens).
   */
  const session = async (feeds: Feed[]) => {
    const offsets = await deps.getOffsets();
    const session = new AbortController();
    const onAbort = () => session.abort();
    abort.signal.addEventListener('abort', onAbort);
    // Stopped while discovering or reading offsets: the listener came too late to fire, and the
    // feeds would be read until they end (a live feed never does).
    if (abort.signal.aborted) session.abort();
    try {
      const results = await Promise.allSettled(feeds.map(async (feed) => {
        const last = offsets[feed.partition];
        try {
          await read(feed, last === undefined ? undefined : last + 1, session.signal);
        } finally {
          session.abort();
        }
      }));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected' && !abort.signal.aborted && !isAbort(r.reason));
      if (failed) throw failed.reason;
    } finally {
      abort.signal.removeEventListener('abort', onAbort);
    }
  };

  const main = (async () => {
    let delay = first;
    while (!abort.signal.aborted) {
      // Even a cleanly ended session waits a little: a feed that closes at once must not spin.
      let wait = first;
      try {
        const feeds = await discover();
        deps.logger.info('Event Streams connected', { partitions: feeds.map((f) => f.partition) });
        await session(feeds);
        delay = first;
        deps.logger.info('Event Streams session ended; reconnecting');
      } catch (err) {
        if (abort.signal.aborted) break;
        deps.logger.warn('Event Streams failed; retrying', { retryInMs: delay, error: err });
        wait = delay;
        delay = Math.min(max, delay * 2);
      }
      await sleep(wait);
    }
  })();

  return {
    async stop() {
      abort.abort();
      await main;
    },
  };
}
