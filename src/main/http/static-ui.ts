import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';

/** Vite names every built asset with a hash of its content, so a name never points at other bytes. */
const HASHED_ASSET = /^assets\/[^/]+-[\w-]{8,}\.\w+$/;
export const IMMUTABLE = 'public, max-age=31536000, immutable';
/** index.html names the current hashed assets: always asked again, answered 304 while unchanged */
export const REVALIDATE = 'no-cache';

/**
 * The renderer's build (`out/renderer`): files precompressed at build time (`.br`, `.gz` beside each,
 * electron.vite.config.ts) chosen by the request's Accept-Encoding, hashed assets cached for a year,
 * index.html revalidated on every load. Nothing here holds data: the scope registering it marks its
 * routes public.
 */
export async function registerStaticUi(scope: FastifyInstance, rendererDir: string): Promise<void> {
  await scope.register(fastifyStatic, {
    root: rendererDir,
    wildcard: false,
    preCompressed: true,
    // the compressed copies are found through their original's route, not served as routes of their own
    globIgnore: ['**/*.br', '**/*.gz'],
    cacheControl: false,
    setHeaders: (reply, path) => {
      const relative = path.slice(rendererDir.length).replace(/^[/\\]+/, '').replace(/\\/g, '/').replace(/\.(br|gz)$/, '');
      reply.header('cache-control', HASHED_ASSET.test(relative) ? IMMUTABLE : REVALIDATE);
    },
  });
}

/**
 * A path the single-page app answers with its shell (index.html): a deep link to a screen, `/chat` or
 * `/catalog?model=…` (`/#/chat` reaches the server as `/`). Served without the token, as `/` is: the
 * page holds no data, and asks for the token (or takes it from `#token=`) as the root does. Not the
 * API's paths, and not a file's (`/assets/x.js`, `favicon.png`): a missing file answers as any unknown
 * route does rather than with a page in its place.
 */
export function isDeepLink(method: string, url: string): boolean {
  if (method !== 'GET' && method !== 'HEAD') return false;
  const path = url.split('?')[0]!;
  if (/^\/(api|v1|assets|docs)(\/|$)|^\/metrics$/.test(path)) return false;
  // a file name (a dot in the last segment) is an asset, not a screen; no regex over the whole path
  return !path.slice(path.lastIndexOf('/') + 1).includes('.');
}

/** The single-page app's shell for a deep link (isDeepLink). Sent whole and uncompressed: it is under a kilobyte. */
export async function sendIndexHtml(rendererDir: string, reply: FastifyReply): Promise<FastifyReply> {
  const html = await readFile(join(rendererDir, 'index.html'));
  return reply.type('text/html; charset=utf-8').header('cache-control', REVALIDATE).send(html);
}
