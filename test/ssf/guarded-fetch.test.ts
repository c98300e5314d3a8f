import http from 'node:http';
import { guardedFetch } from '../../src/ssf/outbound/guarded-fetch.js';
import { listenOnLoopback } from '../helpers/loopback-server.js';

/*
 * Cancelling an outbound request (a connector or worker stopping) must end it at once, whether
 * the caller gave up before the request started or while it waits for an answer; otherwise a
 * shutdown waits for the request's own timeout.
 */

describe('guardedFetch cancellation', () => {
  let requests = 0;
  const server = http.createServer(() => {
    requests++; // never answers: only a cancellation (or the timeout) ends the request
  });
  let target: Awaited<ReturnType<typeof listenOnLoopback>>;
  beforeAll(async () => {
    target = await listenOnLoopback(server, '/token');
  });
  afterAll(() => target.close());
  beforeEach(() => {
    requests = 0;
  });
  const fetch = guardedFetch({ allowPrivateNetwork: true, timeoutMs: 30_000 });

  test('a signal aborted before the call rejects at once and sends nothing', async () => {
    const gaveUp = new AbortController();
    gaveUp.abort();
    const started = Date.now();
    await expect(fetch(target.url, { method: 'POST', body: 'x', signal: gaveUp.signal })).rejects.toThrow('aborted');
    expect(Date.now() - started).toBeLessThan(1000);
    await new Promise((r) => setTimeout(r, 50));
    expect(requests).toBe(0);
  });

  test('aborting while the server has not answered rejects at once', async () => {
    const stop = new AbortController();
    const pending = fetch(target.url, { signal: stop.signal });
    while (requests === 0) await new Promise((r) => setTimeout(r, 5));
    const started = Date.now();
    stop.abort();
    await expect(pending).rejects.toThrow('aborted');
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
