import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';

/** Paths that need no token: liveness, and the renderer's static files (they hold no data). */
export function isPublicPath(url: string): boolean {
  const path = url.split('?')[0]!;
  if (path === '/healthz') return true;
  if (path.startsWith('/api/') || path.startsWith('/v1/') || path === '/openapi.json' || path === '/metrics' || path.startsWith('/docs')) return false;
  return true;
}

/**
 * Bearer token in `Authorization`, or `?token=` for what a browser cannot send headers with
 * (EventSource, the docs page opened from a link).
 */
export function requestToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice(7).trim();
  const query = request.query as Record<string, unknown> | undefined;
  if (request.method === 'GET' && typeof query?.token === 'string') return query.token;
  return null;
}

export function tokenMatches(given: string | null, expected: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
