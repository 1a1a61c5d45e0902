import { z } from 'zod';
import bundledJson from '../../../resources/ollama-library.json';
import { parametersFromName, type ModelShape } from './fit';
import { getText, RemoteError, type RemoteOptions } from './remote';

/**
 * The Ollama library. ollama.com has no JSON catalog API (protocols.md §4), so Switchyard ships a curated
 * list (resources/ollama-library.json) and, online, refreshes pull counts, descriptions, capabilities
 * and new models from the library page. The page parser fails soft: a page it does not understand is a
 * RemoteError ("stale, using the bundled list"), never an empty catalog.
 */
export const LibraryTag = z.object({ tag: z.string(), parameters_b: z.number().nullable(), size_gb: z.number().nullable() });
export const LibraryModel = z.object({
  name: z.string(),
  description: z.string(),
  capabilities: z.array(z.string()),
  pulls: z.number().nullable(),
  context_length: z.number().nullable().optional(),
  quantization: z.string().nullable().optional(),
  updated: z.string().nullable().optional(),
  tags: z.array(LibraryTag),
});
export type LibraryModel = z.infer<typeof LibraryModel>;
export const LibraryList = z.array(LibraryModel);

export const bundledLibrary: readonly LibraryModel[] = LibraryList.parse(bundledJson.models);
export const BUNDLED_SNAPSHOT = bundledJson.snapshot;

/** One `li[x-test-model]` of the library or search page. */
export interface ParsedLibraryEntry {
  name: string;
  description: string;
  capabilities: string[];
  sizes: string[];
  pulls: number | null;
  updated: string | null;
}

const decode = (s: string) =>
  s
    .replace(/<[^>]+>/g, '')
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&#x27;/g, "'")
    .replace(/\s+/g, ' ')
    .trim();

const allText = (block: string, marker: string) => [...block.matchAll(new RegExp(`<[^>]*\\b${marker}\\b[^>]*>([\\s\\S]*?)</`, 'g'))].map((m) => decode(m[1]!)).filter(Boolean);

/** "110.5M" → 110 500 000; "1,234" → 1234; "12K" → 12 000. */
export function parsePullCount(text: string | null | undefined): number | null {
  if (!text) return null;
  const m = /([\d.,]+)\s*([KMB])?/i.exec(text.replace(/pulls?/i, ''));
  if (!m) return null;
  const n = Number(m[1]!.replace(/,/g, ''));
  if (!Number.isFinite(n)) return null;
  const mult = { K: 1e3, M: 1e6, B: 1e9 }[(m[2] ?? '').toUpperCase() as 'K' | 'M' | 'B'] ?? 1;
  return Math.round(n * mult);
}

/**
 * Parses ollama.com `/library` or `/search` HTML by the `x-test-*` markers third-party scrapers rely
 * on. Throws RemoteError when the markers are gone (the page changed) or nothing could be read.
 */
export function parseLibraryPage(html: string, url = 'ollama.com/library'): ParsedLibraryEntry[] {
  const starts = [...html.matchAll(/<li\b[^>]*\bx-test-model\b[^>]*>/g)].map((m) => m.index!);
  if (!starts.length) throw new RemoteError('the ollama.com library page changed (no x-test-model entries): using the bundled list', url);
  const out: ParsedLibraryEntry[] = [];
  for (let i = 0; i < starts.length; i++) {
    const block = html.slice(starts[i], starts[i + 1] ?? html.length);
    const name = allText(block, 'x-test-search-response-title')[0] ?? /href="\/library\/([^"/?#]+)"/.exec(block)?.[1] ?? null;
    if (!name || !/^[\w.\-]+$/.test(name)) continue;
    const description = decode(/<p\b[^>]*class="[^"]*(?:max-w-lg|break-words)[^"]*"[^>]*>([\s\S]*?)<\/p>/.exec(block)?.[1] ?? '');
    out.push({
      name,
      description,
      capabilities: allText(block, 'x-test-capability').map((c) => c.toLowerCase()),
      sizes: allText(block, 'x-test-size').map((s) => s.toLowerCase()),
      pulls: parsePullCount(allText(block, 'x-test-pull-count')[0]),
      updated: allText(block, 'x-test-updated')[0] ?? null,
    });
  }
  if (!out.length) throw new RemoteError('the ollama.com library page changed (entries without names): using the bundled list', url);
  return out;
}

/** Q4_K_M-ish download size when ollama.com names a size the bundled list lacks. */
const estimateSizeGb = (paramsB: number | null) => (paramsB ? Math.round(paramsB * 0.61 * 1.074 * 10) / 10 : null);

/** Page data on top of the bundled list: the page wins for pulls/description/capabilities, bundled for sizes. */
export function mergeLibrary(bundled: readonly LibraryModel[], parsed: readonly ParsedLibraryEntry[]): LibraryModel[] {
  const byName = new Map(bundled.map((m) => [m.name, m]));
  const seen = new Set<string>();
  const out: LibraryModel[] = [];
  for (const p of parsed) {
    if (seen.has(p.name)) continue;
    seen.add(p.name);
    const known = byName.get(p.name);
    const tags = [...(known?.tags ?? [])];
    for (const size of p.sizes) {
      if (tags.some((t) => t.tag === size)) continue;
      const params = parametersFromName(`x:${size}`);
      tags.push({ tag: size, parameters_b: params, size_gb: estimateSizeGb(params) });
    }
    if (!tags.length) tags.push({ tag: 'latest', parameters_b: null, size_gb: null });
    out.push({
      name: p.name,
      description: p.description || known?.description || '',
      capabilities: p.capabilities.length ? p.capabilities : (known?.capabilities ?? []),
      pulls: p.pulls ?? known?.pulls ?? null,
      context_length: known?.context_length ?? null,
      quantization: known?.quantization ?? 'Q4_K_M',
      updated: p.updated,
      tags,
    });
  }
  // A page shows only part of the library: keep bundled models it did not list.
  for (const m of bundled) if (!seen.has(m.name)) out.push(m);
  return out;
}

export class OllamaLibraryClient {
  constructor(private readonly options: () => RemoteOptions & { baseUrl: string }) {}

  /** The library page sorted by popularity, merged onto the bundled list. */
  async fetchLibrary(): Promise<LibraryModel[]> {
    const o = this.options();
    const url = `${o.baseUrl.replace(/\/+$/, '')}/library?sort=popular`;
    const { text } = await getText(url, { ...o, headers: { accept: 'text/html' } });
    return mergeLibrary(bundledLibrary, parseLibraryPage(text, url));
  }
}

/** The tag a user most likely wants: the one nearest 8B that is not larger than 9B, else the smallest. */
export function defaultTag(model: LibraryModel): LibraryModel['tags'][number] {
  const sized = model.tags.filter((t) => t.parameters_b !== null);
  const fitting = sized.filter((t) => t.parameters_b! <= 9).sort((a, b) => b.parameters_b! - a.parameters_b!);
  return fitting[0] ?? [...sized].sort((a, b) => a.parameters_b! - b.parameters_b!)[0] ?? model.tags[0]!;
}

export function ollamaShape(model: LibraryModel, tag: LibraryModel['tags'][number]): ModelShape {
  return {
    runtime: 'ollama',
    parametersB: tag.parameters_b ?? parametersFromName(`${model.name}:${tag.tag}`),
    weightsBytes: tag.size_gb ? tag.size_gb * 1e9 : null,
    dtype: model.quantization ?? 'Q4_K_M',
    layers: null,
    kvHeads: null,
    headDim: null,
    maxContext: model.context_length ?? null,
    quantization: null,
  };
}
