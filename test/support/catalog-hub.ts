import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { handleCatalogRequest, setCatalogKnobs, type CatalogKnobs } from '../fixtures/hub/catalog.mjs';

export interface CatalogHub {
  url: string;
  /** requests that reached the server, by path */
  requests: string[];
  count(): number;
  /** closes the port (connections refused) or reopens it on the same port */
  setDown(down: boolean): Promise<void>;
  knobs(patch: CatalogKnobs): void;
  close(): Promise<void>;
}

/**
 * A tiny HTTP server around the fake catalog routes, counting every request. Works whether or not the
 * full fake hub (server.mjs) is used: that one delegates unmatched requests to the same module.
 */
export async function startCatalogHub(): Promise<CatalogHub> {
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  let server: Server | null = null;
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server = createServer((req, res) => {
        const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
        requests.push(url.pathname);
        handleCatalogRequest(req, res, url)
          .then((handled) => {
            if (!handled) {
              res.writeHead(404, { 'content-type': 'application/json' });
              res.end(JSON.stringify({ error: `Not found: ${url.pathname}` }));
            }
          })
          .catch((error: unknown) => {
            res.writeHead(500);
            res.end(String(error));
          });
      });
      server.on('connection', (s) => {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
      });
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        const address = server!.address();
        port = typeof address === 'object' && address ? address.port : port;
        resolve();
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (!server) return resolve();
      server.close(() => resolve());
      for (const s of sockets) s.destroy();
      server = null;
    });
  await listen();
  setCatalogKnobs({ libraryPage: 'normal', extraModels: 0 });
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    count: () => requests.length,
    async setDown(down) {
      if (down) await stop();
      else if (!server) await listen();
    },
    knobs: (patch) => setCatalogKnobs(patch),
    close: stop,
  };
}
