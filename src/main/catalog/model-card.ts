import { AppError, errorMessage } from '../../shared/errors';
import type { HubClient } from '../hub/hub-client';
import type { CatalogRepo } from './catalog-repo';

const TIMEOUT_MS = 10_000;
/** Cards beyond this are cut: a page, not a book (some repos paste whole papers into README.md). */
export const MAX_CARD_CHARS = 256 * 1024;

export interface ModelCard {
  /** README.md of the repo, front matter removed; null when the repo has none */
  markdown: string | null;
  fetched_at: string | null;
  stale: boolean;
  error: string | null;
  truncated: boolean;
}

interface CachedCard {
  markdown: string | null;
  truncated: boolean;
}

/** YAML front matter (`---` … `---`) holds metadata the page shows elsewhere. */
export function stripFrontMatter(text: string): string {
  const m = /^\uFEFF?---\r?\n[\s\S]*?\r?\n---\r?\n?/.exec(text);
  return m ? text.slice(m[0].length).replace(/^\s+/, '') : text;
}

/**
 * A Hub model's card (README.md) for its catalog page, kept in the catalog cache so it shows
 * offline too; refreshed after the catalog TTL. Rendering (Markdown, HTML off) is the renderer's.
 */
export class ModelCards {
  constructor(
    private readonly o: {
      repo: CatalogRepo;
      hub: HubClient;
      offline: () => boolean;
      ttlMinutes: () => number;
      /** the net layer's fetch (proxy, custom CAs, offline refusal) */
      fetch?: typeof fetch;
      now?: () => Date;
    },
  ) {}

  async get(name: string, signal?: AbortSignal): Promise<ModelCard> {
    const key = `hf:readme:${name}`;
    const now = this.o.now?.() ?? new Date();
    const row = this.o.repo.getCache(key);
    const cached = row ? (JSON.parse(row.payload) as CachedCard) : null;
    const fromCache = (stale: boolean, error: string | null): ModelCard => ({
      markdown: cached?.markdown ?? null,
      truncated: cached?.truncated ?? false,
      fetched_at: row?.fetched_at ?? null,
      stale,
      error,
    });
    const fresh = row && now.getTime() - Date.parse(row.fetched_at) < this.o.ttlMinutes() * 60_000;
    if (row && fresh) return fromCache(false, null);
    if (this.o.offline()) return fromCache(Boolean(row), 'Offline mode: the model card is shown from the cache, if it was seen before.');
    try {
      const card = await this.fetchCard(name, signal);
      this.o.repo.putCache(key, card, now.toISOString());
      return { ...card, fetched_at: now.toISOString(), stale: false, error: null };
    } catch (error) {
      if (signal?.aborted) throw error;
      const message = errorMessage(error);
      this.o.repo.recordError(key, message, now.toISOString());
      return fromCache(true, message);
    }
  }

  private async fetchCard(name: string, signal?: AbortSignal): Promise<CachedCard> {
    const endpoint = this.o.hub.endpoint();
    const url = `${endpoint}/${name.split('/').map(encodeURIComponent).join('/')}/resolve/main/README.md`;
    const timeout = AbortSignal.timeout(TIMEOUT_MS);
    let res: Response;
    try {
      res = await (this.o.fetch ?? fetch)(url, { headers: this.o.hub.authHeaders(), signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
    } catch (error) {
      throw new AppError('offline', `Cannot reach the Hub at ${endpoint} for the model card (${errorMessage((error as { cause?: unknown }).cause ?? error)}).`);
    }
    if (res.status === 404) {
      await res.body?.cancel().catch(() => {});
      return { markdown: null, truncated: false };
    }
    if (!res.ok) {
      await res.body?.cancel().catch(() => {});
      throw new AppError('upstream_error', `The Hub answered HTTP ${res.status} for the model card of ${name}.`);
    }
    const text = stripFrontMatter(await res.text());
    return text.length > MAX_CARD_CHARS ? { markdown: text.slice(0, MAX_CARD_CHARS), truncated: true } : { markdown: text, truncated: false };
  }
}
