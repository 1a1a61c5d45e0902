import { AppError, errorMessage } from '../../../shared/errors';
import type { Logger } from '../../logger';
import type { CatalogCache, Fresh } from '../cache';
import type { CatalogEntry, ModelShape } from '../entry';
import { ollamaMetadataShape, type InstalledModelRef } from '../installed';
import type { LocalIndex } from '../local-index';
import { bundledLibrary, defaultTag, LibraryList, type LibraryModel, OllamaLibraryClient, ollamaShape } from '../ollama-library';
import type { RemoteOptions } from '../remote';
import type { CatalogSource, RefreshJob, SourceDetail, SourceQuery } from '../source';

export interface OllamaSourceOptions {
  cache: CatalogCache;
  index: LocalIndex;
  logger: Logger;
  remote: () => RemoteOptions;
  /** ollama.com or a mirror (Settings) */
  libraryUrl: () => string;
  /** local calls: Ollama's `/api/show` on this machine */
  fetch: typeof fetch;
  /** Ollama's base URL while it runs (for `/api/show`), else null */
  ollamaUrl: () => string | null;
  connectTimeoutMs: () => number;
  signal: AbortSignal;
}

/**
 * The Ollama library (ollama.com's list merged onto the bundled one): one entry per tag, trending by
 * pulls, and for installed models their own numbers from Ollama's `/api/show`.
 */
export class OllamaSource implements CatalogSource {
  readonly provider = 'ollama' as const;
  private readonly library: OllamaLibraryClient;
  /** Ollama `/api/show` numbers per installed model (name@size) */
  private readonly showCache = new Map<string, Partial<ModelShape>>();

  constructor(private readonly o: OllamaSourceOptions) {
    this.library = new OllamaLibraryClient(() => ({ ...o.remote(), baseUrl: o.libraryUrl() }));
  }

  bundled(): CatalogEntry[] {
    return libraryEntries(bundledLibrary);
  }

  /** Matches every word in the name, description or tags; the library has no order but popularity. */
  async search(q: SourceQuery, force: boolean): Promise<Fresh<CatalogEntry[]>> {
    const lib = await this.fresh(force);
    const words = (q.q ?? '').toLowerCase().split(/\s+/).filter(Boolean);
    const matches = (e: CatalogEntry) => words.every((w) => `${e.model.model_name} ${e.model.description ?? ''} ${e.model.tags.join(' ')}`.toLowerCase().includes(w));
    return { ...lib, data: libraryEntries(lib.data).filter(matches).slice(0, q.limit) };
  }

  async trending(limit: number, force: boolean): Promise<Fresh<CatalogEntry[]>> {
    const lib = await this.fresh(force);
    const byPulls = lib.data.slice().sort((a, b) => (b.pulls ?? 0) - (a.pulls ?? 0));
    return { ...lib, data: libraryEntries(byPulls, true).slice(0, limit) };
  }

  refreshJobs(): RefreshJob[] {
    return [{ key: 'ollama:library', run: () => this.fresh(true) }];
  }

  private fresh(force: boolean): Promise<Fresh<LibraryModel[]>> {
    return this.o.cache.get('ollama:library', LibraryList, () => this.library.fetchLibrary(), {
      force,
      section: 'catalog',
      what: 'Ollama library',
      onFresh: (data) => this.o.index.put(libraryEntries(data)),
      fallback: () => [...bundledLibrary],
    });
  }

  async detail(name: string, installed: InstalledModelRef | null): Promise<Fresh<SourceDetail>> {
    const lib = await this.fresh(false);
    const [base, tagName] = splitOllamaName(name);
    const known = lib.data.find((m) => m.name === base);
    if (!known && !installed) throw new AppError('model_not_found', `"${base}" is not in the Ollama library list. Check the name on ollama.com/library.`);
    // an installed model the library list does not have (a custom or hf.co/ model): its own entry
    const model: LibraryModel = known ?? { name: base, description: '', capabilities: [], pulls: null, context_length: null, quantization: null, updated: null, tags: [] };
    let tag = (tagName && tagName !== 'latest' ? model.tags.find((t) => t.tag === tagName) : model.tags.length ? defaultTag(model) : undefined) ?? null;
    if (!tag && installed) tag = { tag: tagName ?? 'latest', parameters_b: null, size_gb: null };
    if (!tag) throw new AppError('model_not_found', `${base} has no tag "${tagName}". Known tags: ${model.tags.map((t) => t.tag).join(', ')}.`);
    const entry = libraryEntry(model, tag);
    if (installed) entry.shape = { ...entry.shape, ...(await this.installedShape(installed)) };
    return {
      ...lib,
      data: {
        entry,
        extra: {
          license: null,
          gated: false,
          pipeline_tag: null,
          architectures: [],
          capabilities: model.capabilities,
          context_length: entry.shape.maxContext ?? model.context_length ?? null,
          quantization: entry.shape.dtype ?? model.quantization ?? null,
          files: model.tags.map((t) => ({ name: `${model.name}:${t.tag}`, size: t.size_gb === null ? null : Math.round(t.size_gb * 1e9) })),
          url: `${this.o.libraryUrl().replace(/\/+$/, '')}/library/${model.name}`,
          last_modified: model.updated ?? null,
        },
      },
    };
  }

  /**
   * An installed Ollama model's own numbers: its size on disk (exact weights), quantization and context
   * from the manifest, and layers / KV heads / head dim from Ollama's `/api/show` while Ollama runs
   * (local, so also in offline mode). Remembered per name and size.
   */
  private async installedShape(m: InstalledModelRef): Promise<Partial<ModelShape>> {
    const out: Partial<ModelShape> = {};
    if (m.size_bytes > 0) out.weightsBytes = m.size_bytes;
    if (m.capabilities?.quantization) out.dtype = m.capabilities.quantization;
    if (m.capabilities?.max_context_length) out.maxContext = m.capabilities.max_context_length;
    const key = `${m.name}@${m.size_bytes}`;
    let meta = this.showCache.get(key);
    const baseUrl = this.o.ollamaUrl();
    if (!meta && baseUrl) {
      try {
        const res = await this.o.fetch(`${baseUrl.replace(/\/+$/, '')}/api/show`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model: m.name }),
          signal: AbortSignal.any([this.o.signal, AbortSignal.timeout(this.o.connectTimeoutMs())]),
        });
        if (res.ok) {
          meta = ollamaMetadataShape(await res.json());
          this.showCache.set(key, meta);
        }
      } catch (error) {
        this.o.logger.debug({ name: m.name, error: errorMessage(error) }, 'ollama /api/show for the fit failed');
      }
    }
    return { ...out, ...(meta ?? {}) };
  }
}

/** `llama3.1:8b` → [llama3.1, 8b]; `hf.co/org/repo:Q4_K_M` → [hf.co/org/repo, Q4_K_M] */
function splitOllamaName(name: string): [string, string | undefined] {
  const i = name.lastIndexOf(':');
  return i > name.lastIndexOf('/') && i > 0 ? [name.slice(0, i), name.slice(i + 1)] : [name, undefined];
}

function libraryEntry(m: LibraryModel, tag: LibraryModel['tags'][number]): CatalogEntry {
  const name = `${m.name}:${tag.tag}`;
  return {
    model: {
      provider: 'ollama',
      model_name: name,
      display_name: name,
      size_gb: tag.size_gb,
      runtime: 'ollama',
      tags: [...m.capabilities, tag.tag.toUpperCase()],
      downloads: m.pulls,
      likes: null,
      parameters_b: tag.parameters_b,
      description: m.description,
      vllm_supported: false,
    },
    shape: ollamaShape(m, tag),
  };
}

/** One entry per tag, or with `defaultOnly` one per model (its most likely tag), for trending. */
export function libraryEntries(list: readonly LibraryModel[], defaultOnly = false): CatalogEntry[] {
  return list.flatMap((m) => (defaultOnly ? [libraryEntry(m, defaultTag(m))] : m.tags.map((t) => libraryEntry(m, t))));
}
