import type { z } from 'zod';
import { AppError, errorMessage } from '../../shared/errors';
import type { EventBus } from '../events';
import type { Logger } from '../logger';
import type { CatalogRepo } from './catalog-repo';
import { safeJson } from './entry';
import { RemoteError } from './remote';

/** An answer with where it came from: fresh from the network, or the cache / a fallback and why. */
export interface Fresh<T> {
  data: T;
  stale: boolean;
  error: string | null;
  fetched_at: string | null;
  offline: boolean;
}

export type Section = 'catalog' | 'trending' | 'news';

export interface CachedOptions<T> {
  force?: boolean;
  /** what answers when nothing is cached (bundled lists, the local index); null: nothing */
  fallback?: () => T | null;
  fallbackLabel?: string;
  /** runs once per fresh answer (index it, remember it) */
  onFresh?: (data: T) => void;
  section: Section;
  /** the data in words, for the messages ("search results", "Ollama library") */
  what: string;
}

export interface CatalogCacheOptions {
  repo: CatalogRepo;
  events: EventBus;
  logger: Logger;
  now: () => Date;
  offline: () => boolean;
  ttlMinutes: () => number;
}

/**
 * The catalog's TTL cache in SQLite. Within the TTL the cache answers; past it one refresh is tried; a
 * failure answers the last cached data with `stale: true` and `error`, or the fallback when nothing was
 * ever fetched. Offline mode makes no request at all. One request per key at a time: concurrent callers
 * share it (no refresh storm).
 */
export class CatalogCache {
  private readonly inflight = new Map<string, Promise<unknown>>();
  private closed = false;

  constructor(private readonly o: CatalogCacheOptions) {}

  close(): void {
    this.closed = true;
  }

  get offline(): boolean {
    return this.o.offline();
  }

  now(): Date {
    return this.o.now();
  }

  /** The last good payload of a key, whatever its age (null: none, or it no longer parses). */
  peek<T>(key: string, schema: z.ZodType<T>): T | null {
    const row = this.o.repo.getCache(key);
    const parsed = row ? schema.safeParse(safeJson(row.payload)) : null;
    return parsed?.success ? parsed.data : null;
  }

  async get<T>(key: string, schema: z.ZodType<T>, fetcher: () => Promise<T>, options: CachedOptions<T>): Promise<Fresh<T>> {
    const row = this.o.repo.getCache(key);
    const cached = this.peek(key, schema);
    const offline = this.offline;
    if (offline) {
      if (cached !== null) return { data: cached, stale: true, error: `Offline mode: showing ${options.what} fetched ${row!.fetched_at}.`, fetched_at: row!.fetched_at, offline };
      const fallback = options.fallback?.();
      if (fallback) return { data: fallback, stale: true, error: `Offline mode: showing ${options.fallbackLabel ?? `the bundled ${options.what}`}.`, fetched_at: null, offline };
      throw new AppError('offline', `Offline mode is on and nothing is cached yet for ${options.what}: turn offline mode off (sidebar or Settings) and refresh.`);
    }
    if (cached !== null && !options.force && this.o.now().getTime() - Date.parse(row!.fetched_at) < this.ttlMs()) {
      return { data: cached, stale: false, error: null, fetched_at: row!.fetched_at, offline };
    }
    try {
      const data = await this.once(key, fetcher);
      const at = this.o.now().toISOString();
      this.o.repo.putCache(key, data, at);
      options.onFresh?.(data);
      this.o.events.emit({ type: 'catalog.updated', section: options.section });
      return { data, stale: false, error: null, fetched_at: at, offline };
    } catch (error) {
      if (this.closed) throw new AppError('cancelled', 'Switchyard is shutting down.');
      const message = errorMessage(error);
      this.o.logger.warn({ key, error: message }, 'catalog refresh failed');
      if (row) this.o.repo.recordError(key, message, this.o.now().toISOString());
      if (cached !== null) return { data: cached, stale: true, error: `${message} — showing ${options.what} fetched ${row!.fetched_at}.`, fetched_at: row!.fetched_at, offline };
      const fallback = options.fallback?.();
      if (fallback) return { data: fallback, stale: true, error: `${message} — showing ${options.fallbackLabel ?? `the ${options.what} known locally`}.`, fetched_at: null, offline };
      if (error instanceof RemoteError && error.status === 404) throw new AppError('model_not_found', `${message}. Check the name.`);
      throw new AppError('upstream_error', `${message}. Check the network (or HF_ENDPOINT / the Ollama library URL in Settings) and refresh.`);
    }
  }

  /** Every cached section (model details left out) with whether it is stale now. */
  sections(): { key: string; fetched_at: string; stale: boolean; error: string | null }[] {
    const ttlMs = this.ttlMs();
    return this.o.repo
      .listCache()
      .filter((r) => !r.key.startsWith('hf:model:'))
      .map((r) => ({ key: r.key, fetched_at: r.fetched_at, stale: this.offline || !!r.last_error || this.o.now().getTime() - Date.parse(r.fetched_at) >= ttlMs, error: r.last_error }));
  }

  private ttlMs(): number {
    return this.o.ttlMinutes() * 60_000;
  }

  private once<T>(key: string, fetcher: () => Promise<T>): Promise<T> {
    const running = this.inflight.get(key) as Promise<T> | undefined;
    if (running) return running;
    const p = fetcher().finally(() => this.inflight.delete(key));
    this.inflight.set(key, p);
    return p;
  }
}

/** News has no fallback: nothing cached answers an empty list that says why. */
export function emptyOnMissing<T>(error: unknown, offline: boolean): Fresh<T[]> {
  if (error instanceof AppError && (error.code === 'offline' || error.code === 'upstream_error')) {
    return { data: [], stale: true, error: error.message, fetched_at: null, offline };
  }
  throw error;
}
