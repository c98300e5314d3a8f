import type { AddressInfo, Server, Socket } from 'node:net';

/**
 * Listens on an ephemeral loopback port and returns the URL of `path` on it, and a close that
 * also drops open connections (riskwire keeps its push connections alive, so a plain
 * `server.close()` would wait for them).
 */
export async function listenOnLoopback(server: Server, path = '/events'): Promise<{ url: string; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
