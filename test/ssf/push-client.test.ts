import net from 'node:net';
import { pushSet } from '../../src/ssf/delivery/push-client.js';
import { listenOnLoopback } from '../helpers/loopback-server.js';

/**
 * A minimal HTTP/1.1 receiver on a raw socket, so the test decides exactly what happens to each
 * connection: `onRequest(connection, n)` answers 202 (keeping the connection) or drops it.
 */
async function rawReceiver(onRequest: (connection: number, nth: number) => 'accept' | 'reset') {
  let connections = 0;
  const requests: number[] = [];
  const server = net.createServer((socket) => {
    const id = ++connections;
    let buffer = '';
    let nth = 0;
    socket.on('data', (d) => {
      buffer += d.toString('latin1');
      for (;;) {
        const head = buffer.indexOf('\r\n\r\n');
        if (head < 0) return;
        const length = Number(/content-length: *(\d+)/i.exec(buffer.slice(0, head))?.[1] ?? 0);
        if (buffer.length < head + 4 + length) return;
        buffer = buffer.slice(head + 4 + length);
        requests.push(id);
        if (onRequest(id, ++nth) === 'reset') {
          socket.resetAndDestroy();
          return;
        }
        socket.write('HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n');
      }
    });
    socket.on('error', () => {});
  });
  const { url, close } = await listenOnLoopback(server);
  return { url, requests, connections: () => connections, close };
}

const opts = { authorization: null, timeoutMs: 2000, allowPrivateNetwork: true };

describe('push client connections', () => {
  it('reuses one connection for consecutive pushes to a receiver', async () => {
    const rx = await rawReceiver(() => 'accept');
    try {
      for (let i = 0; i < 5; i++) expect(await pushSet(rx.url, 'a.b.c', opts)).toEqual({ kind: 'delivered', status: 202 });
      expect(rx.requests).toHaveLength(5);
      expect(rx.connections()).toBe(1);
    } finally {
      await rx.close();
    }
  });

  it('a kept connection the receiver drops is retried at once on a new one, not counted as a failed attempt', async () => {
    // The first connection takes one request, then resets on the next (a receiver that closed it).
    const rx = await rawReceiver((connection, nth) => (connection === 1 && nth === 2 ? 'reset' : 'accept'));
    try {
      expect(await pushSet(rx.url, 'a.b.c', opts)).toEqual({ kind: 'delivered', status: 202 });
      expect(await pushSet(rx.url, 'a.b.c', opts)).toEqual({ kind: 'delivered', status: 202 });
      expect(rx.requests).toEqual([1, 1, 2]);
    } finally {
      await rx.close();
    }
  });

  it('a fresh connection that fails is an ordinary retry', async () => {
    const rx = await rawReceiver(() => 'reset');
    try {
      const outcome = await pushSet(rx.url, 'a.b.c', opts);
      expect(outcome).toMatchObject({ kind: 'retry', error: expect.stringMatching(/network error: ECONNRESET/) });
    } finally {
      await rx.close();
    }
  });
});
