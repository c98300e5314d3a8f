import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface BareServer {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * The comparison baseline: plain node:http on 127.0.0.1, ephemeral port. Every request's body
 * is read to the end, then answered 202 with an empty body — the least any HTTP ingest
 * endpoint on this Node can do.
 */
export async function startBareServer(): Promise<BareServer> {
  const server = http.createServer((req, res) => {
    req.on('data', () => {});
    req.on('end', () => {
      res.writeHead(202, { 'Content-Length': '0' });
      res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
