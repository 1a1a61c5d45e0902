import type { Readable } from 'node:stream';

/** An error answer is read this far, decompressed bytes counted; the rest is dropped. */
export const MAX_ERROR_BODY = 64 * 1024;

/**
 * Up to `limit` bytes of a body (an error answer, a model list), then the rest is dropped: a 1 GiB
 * error page costs 64 KiB. `decode` inflates a compressed body as it is counted, so 4 MB of gzip
 * cannot grow into a gigabyte in memory.
 */
export async function readCapped(body: Readable, limit: number, encoding?: string | string[]): Promise<{ text: string; truncated: boolean }> {
  const source = await decoded(body, encoding);
  const parts: Buffer[] = [];
  let size = 0;
  let truncated = false;
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      const room = limit - size;
      if (chunk.length > room) {
        parts.push(chunk.subarray(0, room));
        size = limit;
        truncated = true;
        break;
      }
      parts.push(chunk);
      size += chunk.length;
    }
  } catch {
    truncated = true; // a broken or undecodable body: what arrived is all there is
  } finally {
    source.destroy();
    body.destroy();
  }
  return { text: Buffer.concat(parts, size).toString('utf8'), truncated };
}

async function decoded(body: Readable, encoding: string | string[] | undefined): Promise<Readable> {
  const e = String(Array.isArray(encoding) ? encoding[encoding.length - 1] : (encoding ?? '')).trim().toLowerCase();
  if (e !== 'gzip' && e !== 'x-gzip' && e !== 'deflate' && e !== 'br') return body;
  const zlib = await import('node:zlib');
  const inflate = e === 'br' ? zlib.createBrotliDecompress() : e === 'deflate' ? zlib.createInflate() : zlib.createGunzip();
  body.on('error', (error) => inflate.destroy(error));
  return body.pipe(inflate);
}

/** The same for a `fetch` Response (decompressed by fetch as it is read, so the count is of decompressed bytes). */
export async function readCappedResponse(res: Response, limit: number): Promise<{ text: string; truncated: boolean }> {
  const reader = res.body?.getReader();
  if (!reader) return { text: '', truncated: false };
  const parts: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const room = limit - size;
      if (value.byteLength > room) {
        parts.push(value.subarray(0, room));
        size = limit;
        truncated = true;
        break;
      }
      parts.push(value);
      size += value.byteLength;
    }
  } catch {
    truncated = true;
  } finally {
    await reader.cancel().catch(() => {});
  }
  return { text: Buffer.concat(parts, size).toString('utf8'), truncated };
}
