import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';

export interface ProxiedRequest {
  /** `CONNECT` for a tunnel, else the forwarded method */
  method: string;
  /** host:port asked for */
  target: string;
  /** whether the request carried an Authorization header (forwarded requests only: a tunnel is opaque) */
  authorization: boolean;
}

export interface ForwardProxy {
  url: string;
  log: ProxiedRequest[];
  close(): Promise<void>;
}

/**
 * A small HTTP forward proxy (absolute-form requests and CONNECT tunnels) that alone knows some
 * hostnames: `hosts` maps them to where they really are. A name it does not know is refused (502),
 * so a test can make the proxy the only way to the fake hub (`hub.test` resolves nowhere else).
 */
export async function startForwardProxy(hosts: Record<string, string>): Promise<ForwardProxy> {
  const log: ProxiedRequest[] = [];
  const sockets = new Set<Socket>();
  const resolveHost = (host: string) => hosts[host.toLowerCase()] ?? null;

  const server: Server = createServer((req: IncomingMessage, res) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '');
    } catch {
      res.writeHead(400).end('absolute-form request expected');
      return;
    }
    log.push({ method: req.method ?? 'GET', target: url.host, authorization: req.headers.authorization !== undefined });
    const address = resolveHost(url.hostname);
    if (!address || url.protocol !== 'http:') {
      res.writeHead(502).end(`proxy: unknown host ${url.hostname}`);
      return;
    }
    const headers = { ...req.headers };
    delete headers['proxy-connection'];
    delete headers['proxy-authorization'];
    const upstream = request({ host: address, port: Number(url.port || 80), method: req.method, path: `${url.pathname}${url.search}`, headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });

  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    const [host = '', port = '443'] = (req.url ?? '').split(/:(?=\d+$)/);
    log.push({ method: 'CONNECT', target: req.url ?? '', authorization: false });
    const address = resolveHost(host);
    if (!address) {
      client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n');
      return;
    }
    const upstream = connect(Number(port), address, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}
