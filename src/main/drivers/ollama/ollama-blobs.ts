import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import { Ollama } from 'ollama';
import { AppError, errorMessage } from '../../../shared/errors';

const CHUNK = 1 << 20;

/** sha256 of a file, read once in 1 MiB chunks; `onBytes` after each. */
export async function sha256File(path: string, signal: AbortSignal, onBytes: (n: number) => void): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: CHUNK, signal })) {
    hash.update(chunk as Buffer);
    onBytes((chunk as Buffer).length);
  }
  return `sha256:${hash.digest('hex')}`;
}

/**
 * Puts a file into Ollama's blob store as `ollama create` does: `HEAD /api/blobs/<digest>` (200: already
 * there), else `POST` of the file, streamed; Ollama hashes it as it arrives and keeps it only when the
 * digest matches (400 "digest mismatch" when the file changed since it was hashed). Returns whether
 * bytes were sent.
 */
export async function pushBlob(baseUrl: string, path: string, digest: string, fetchImpl: typeof fetch, signal: AbortSignal, onBytes: (n: number) => void): Promise<boolean> {
  const url = `${baseUrl}/api/blobs/${digest}`;
  const head = await fetchImpl(url, { method: 'HEAD', signal });
  if (head.status === 200) return false;
  if (head.status !== 404) throw new AppError('upstream_error', `Ollama answered HEAD /api/blobs with ${head.status}; is this Ollama ≥ 0.1.30?`);
  const file = createReadStream(path, { highWaterMark: CHUNK, signal });
  file.on('data', (chunk) => onBytes((chunk as Buffer).length));
  const res = await fetchImpl(url, {
    method: 'POST',
    body: Readable.toWeb(file) as unknown as BodyInit,
    signal,
    // a streamed request body (undici needs it said)
    duplex: 'half',
  } as RequestInit);
  const text = await res.text();
  if (res.status === 200 || res.status === 201) return true;
  const message = parseError(text);
  if (res.status === 400 && /digest mismatch/.test(message)) {
    throw new AppError('checksum_mismatch', `${path} changed while it was imported (Ollama: ${message}). Import it again once nothing writes to it.`);
  }
  throw new AppError('upstream_error', `Ollama refused the upload of ${basename(path)} (${res.status}): ${message}`);
}

/** `POST /api/create {model, files}`: the model from the uploaded GGUF blob; progress lines to `onStatus`. */
export async function createFromBlob(baseUrl: string, name: string, file: string, digest: string, fetchImpl: typeof fetch, signal: AbortSignal, onStatus: (status: string) => void): Promise<void> {
  const client = new Ollama({ host: baseUrl, fetch: fetchImpl });
  // ollama-js 0.6 types `create` without `files`; the server takes them and the client passes the body through
  const request = { model: name, files: { [basename(file)]: digest }, stream: true as const };
  let stream;
  try {
    stream = await client.create(request as unknown as Parameters<Ollama['create']>[0] & { stream: true });
  } catch (error) {
    throw new AppError('upstream_error', `Ollama could not create ${name}: ${errorMessage(error)}`);
  }
  const onAbort = () => stream.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const part of stream) onStatus(part.status);
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    throw new AppError('upstream_error', `Ollama could not create ${name}: ${errorMessage(error)}`);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

function parseError(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: unknown };
    if (typeof body.error === 'string') return body.error;
  } catch {
    /* not JSON */
  }
  return text.trim().slice(0, 200) || 'no message';
}
