import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { hostname, networkInterfaces } from 'node:os';

/**
 * Who may talk to the API, decided before any route runs:
 * - the request target is in origin form (`/path`), never absolute (`http://host/path`) or `*`;
 * - the `Host` header names this machine's loopback or configured address, on our port (a web page
 *   whose domain re-resolves to 127.0.0.1 — DNS rebinding — sends its own domain here);
 * - a state-changing request that carries an `Origin` comes from one of our own origins;
 * - the bearer token, on every route not marked `config: { public: true }` — decided on the route the
 *   router matched (see `server.ts`), never on the raw URL, so no encoding of the path changes it.
 */
export interface RequestGateOptions {
  /** the configured listen host (`--host`, SWITCHYARD_HOST) */
  configuredHost: string;
  /** extra host names a user allowed (SWITCHYARD_ALLOWED_HOSTS), e.g. a LAN name */
  extraHosts?: readonly string[];
  /** extra origins allowed to send state-changing requests (the Electron dev server) */
  extraOrigins?: readonly string[];
  /** the port we listen on, once known; null while not listening (inject()) */
  port: () => number | null;
}

export interface Refusal {
  status: number;
  code: 'bad_request' | 'forbidden';
  message: string;
}

const LOOPBACK = ['127.0.0.1', 'localhost', '::1'];
const WILDCARD = new Set(['0.0.0.0', '::', '']);
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export class RequestGate {
  private readonly hosts: Set<string>;
  private readonly extraOrigins: Set<string>;

  constructor(private readonly options: RequestGateOptions) {
    const configured = normaliseHost(options.configuredHost);
    const names = [...LOOPBACK, configured, ...(options.extraHosts ?? []).map(normaliseHost)];
    // Listening on every interface is a deliberate LAN set-up: this machine's own addresses and name are
    // ours too (an IP literal cannot be rebound; a foreign domain still can't be used).
    if (WILDCARD.has(configured)) names.push(hostname().toLowerCase(), ...localAddresses());
    this.hosts = new Set(names.filter(Boolean));
    this.extraOrigins = new Set((options.extraOrigins ?? []).map((o) => o.replace(/\/+$/, '').toLowerCase()));
  }

  /** null when the request may go on to authentication; otherwise why it is refused. */
  check(req: Pick<IncomingMessage, 'url' | 'method' | 'headers'>): Refusal | null {
    const url = req.url ?? '';
    if (!url.startsWith('/') || url.startsWith('//')) {
      return { status: 400, code: 'bad_request', message: 'Only origin-form request targets ("/path") are served: send the path, not a full URL or "*".' };
    }
    const host = parseHostHeader(req.headers.host);
    if (!host || !this.hosts.has(host.name) || !this.portMatches(host.port, req)) {
      return {
        status: 403,
        code: 'forbidden',
        message: `Host "${String(req.headers.host ?? '').slice(0, 100)}" is not served: Switchyard answers on 127.0.0.1, localhost, [::1] and its configured host only. To use it from another machine, start it with --host (or SWITCHYARD_HOST) and add the name to SWITCHYARD_ALLOWED_HOSTS.`,
      };
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !SAFE_METHODS.has(req.method ?? 'GET') && !this.originAllowed(origin, req)) {
      return { status: 403, code: 'forbidden', message: `Requests from the web origin "${origin.slice(0, 100)}" may not change anything here: only Switchyard's own UI can.` };
    }
    return null;
  }

  private portMatches(port: number | null, req?: object): boolean {
    const ours = this.options.port();
    // inject() requests (light-my-request) never crossed a socket: they carry no port worth checking
    return ours === null || port === ours || (req !== undefined && '_lightMyRequest' in req);
  }

  private originAllowed(origin: string, req: object): boolean {
    const lower = origin.toLowerCase();
    if (this.extraOrigins.has(lower)) return true;
    let parsed: URL;
    try {
      parsed = new URL(lower);
    } catch {
      return false;
    }
    if (parsed.protocol !== 'http:') return false;
    const host = parseHostHeader(parsed.host);
    return host !== null && this.hosts.has(host.name) && this.portMatches(host.port, req);
  }
}

/** `name[:port]` or `[v6]:port`, lower-cased, brackets removed; null when malformed. */
export function parseHostHeader(value: string | undefined): { name: string; port: number | null } | null {
  if (!value || value.length > 300) return null;
  const match = /^(?:\[([0-9a-f:.]+)\]|([^:[\]/@\s]+))(?::(\d{1,5}))?$/i.exec(value.trim());
  if (!match) return null;
  const name = (match[1] ?? match[2] ?? '').toLowerCase().replace(/\.$/, '');
  return { name, port: match[3] ? Number(match[3]) : 80 };
}

function normaliseHost(host: string): string {
  return host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
}

function localAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .map((i) => i?.address.toLowerCase())
    .filter((a): a is string => Boolean(a));
}

/**
 * Bearer token in `Authorization`; `?token=` only where a route allows it (`config: { queryToken: true }`):
 * the SSE stream, which a browser's EventSource cannot send headers with. Anywhere else a token in a URL
 * would end up in history, proxies' logs and Referer headers, for nothing.
 */
export function requestToken(req: Pick<IncomingMessage, 'method' | 'headers'>, query: unknown, queryAllowed = false): string | null {
  const header = req.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice(7).trim();
  const q = query as Record<string, unknown> | undefined;
  if (queryAllowed && req.method === 'GET' && typeof q?.token === 'string') return q.token;
  return null;
}

/**
 * What `/healthz?nonce=` answers so that a client holding the token can tell Switchyard from whatever
 * else listens on a port before it sends the token there: an HMAC keyed with the token, over the nonce
 * and the Host the request was sent to. A relay on another port cannot reuse an answer (the request gate
 * only lets through our own Host), and nothing about the token can be learnt from it.
 */
export function identityProof(token: string, host: string, nonce: string): string {
  return createHmac('sha256', token).update(`switchyard-identity\n${host.toLowerCase()}\n${nonce}`).digest('base64url');
}

export function tokenMatches(given: string | null, expected: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export const UNAUTHORIZED_MESSAGE =
  'Missing or wrong API token: send "Authorization: Bearer <token>" (the token is in the data dir, file "token", or SWITCHYARD_TOKEN).';
