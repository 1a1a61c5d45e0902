import type { HttpGet } from '../net/net-client';

export type { HttpGet, HttpResponse } from '../net/net-client';

/** One blob to fetch into the HF cache. */
export interface BlobTarget {
  /** where to GET it (resolve URL; redirects to the CDN are followed) */
  url: string;
  /** final path `blobs/<hash>`; partial bytes live beside it (see `partialFilesOf`) */
  blobPath: string;
  size: number;
  /** LFS sha256: verified while streaming */
  sha256: string | null;
  /** git blob sha1 (regular files): verified too, with git's `blob <size>\0` header */
  gitOid: string | null;
  /** label for messages */
  label: string;
}

export interface BlobDownloadOptions {
  /** transport: the net layer's `get` (proxies, keep-alive, offline refusal) */
  get: HttpGet;
  signal: AbortSignal;
  /** headers for the first request (Authorization); dropped when a redirect leaves the origin */
  headers?: Record<string, string>;
  maxRetries: number;
  retryBaseMs: number;
  /** bytes added (positive) or discarded (negative, when a partial file had to be restarted) */
  onBytes(delta: number): void;
  /** a retry is about to happen */
  onRetry?(attempt: number, error: unknown, delayMs: number): void;
  /** files at least `thresholdBytes` big are fetched in ranged pieces over up to `parts` connections */
  parallel?: { parts: number; thresholdBytes: number };
}

export interface BlobDownloadResult {
  /** bytes received over the network for this blob */
  fetched: number;
  /** bytes taken from an existing partial file */
  resumedFrom: number;
  skipped: boolean;
}

/** How a blob is verified: LFS files by sha256, regular files by git's sha1 over `blob <size>\0` + bytes. */
export interface HashSpec {
  algorithm: 'sha256' | 'sha1';
  /** bytes hashed before the content (git's blob header), or null */
  prefix: string | null;
}

/**
 * A span of the blob fetched by one request at a time: `[start, end)`, of which the first `done`
 * bytes are on disk. One stream is one part over the whole file; a ranged download has many.
 */
export interface Part {
  start: number;
  /** exclusive */
  end: number;
  done: number;
}

/** Transient failures worth a retry: network errors, cut bodies, 5xx, 429. */
export class RetryableError extends Error {}

/** The disk refused a write (ENOSPC, EIO…): retrying the download will not help. */
export class PartialWriteError extends Error {
  constructor(
    message: string,
    readonly errno: string | null,
  ) {
    super(message);
  }
}
