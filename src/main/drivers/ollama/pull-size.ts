import { bundledLibrary, defaultTag, type LibraryModel } from '../../catalog/ollama-library';

/** Where an Ollama pull's size estimate came from. */
export interface PullEstimate {
  bytes: number;
  source: 'registry' | 'library';
}

/**
 * The download size of `name:tag` from the Ollama library list (its tags' sizes; `latest` is the
 * library's default tag), or null for a model it does not list (a namespace, hf.co/…, an unknown tag).
 */
export function librarySize(name: string, library: readonly LibraryModel[] = bundledLibrary): number | null {
  const [model, tag = 'latest'] = name.split(':') as [string, string?];
  if (model.includes('/')) return null;
  const entry = library.find((m) => m.name === model);
  if (!entry) return null;
  const t = tag === 'latest' ? defaultTag(entry) : entry.tags.find((x) => x.tag === tag);
  return t?.size_gb ? Math.round(t.size_gb * 1e9) : null;
}

/** The sum of a registry manifest's layers and config (`GET /v2/<ns>/<model>/manifests/<tag>`), or null. */
export function manifestSize(manifest: unknown): number | null {
  const m = manifest as { layers?: { size?: unknown }[]; config?: { size?: unknown } } | null;
  if (!m || !Array.isArray(m.layers)) return null;
  const sizes = [...m.layers, m.config ?? {}].map((l) => (typeof l?.size === 'number' ? l.size : 0));
  const total = sizes.reduce((a, b) => a + b, 0);
  return total > 0 ? total : null;
}

/** The registry's manifest URL of a library model (`registry.ollama.ai/v2/library/<model>/manifests/<tag>`). */
export function manifestUrl(name: string): string | null {
  const [path, tag = 'latest'] = name.split(':') as [string, string?];
  const parts = path.split('/');
  if (parts.length > 2 || parts[0] === 'hf.co') return null;
  const [ns, model] = parts.length === 2 ? parts : ['library', parts[0]!];
  return `https://registry.ollama.ai/v2/${ns}/${model}/manifests/${tag}`;
}
