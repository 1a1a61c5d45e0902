import { z } from 'zod';
import bundledJson from '../../../resources/ollama-library.json';
import { parametersFromName, type ModelShape } from './fit';
import { attributeValue, decodeText, hasAttribute, htmlTokens } from './html-text';
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

/** A generous bound on the library page (the real one is far smaller): the parser is linear, this bounds its time and memory. */
export const LIBRARY_PAGE_MAX_BYTES = 4 * 1024 * 1024;
/** characters kept of one field (a description is a few hundred), values kept of a list per model */
const FIELD_MAX = 2048;
const LIST_MAX = 32;

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

type Field = 'title' | 'capability' | 'size' | 'pulls' | 'updated';
const MARKERS: [string, Field][] = [
  ['x-test-search-response-title', 'title'],
  ['x-test-capability', 'capability'],
  ['x-test-size', 'size'],
  ['x-test-pull-count', 'pulls'],
  ['x-test-updated', 'updated'],
];

/** What one `li[x-test-model]` holds so far; a field reads the text up to the next closing tag. */
class EntryDraft {
  readonly values: Record<Field | 'description', string[]> = { title: [], capability: [], size: [], pulls: [], updated: [], description: [] };
  hrefName: string | null = null;
  /** fields whose text is being read: at most one per field, so a character is copied a bounded number of times */
  private readonly open = new Map<Field | 'description', string>();

  start(field: Field | 'description'): void {
    const wanted = field === 'capability' || field === 'size' ? LIST_MAX : 1;
    if (!this.open.has(field) && this.values[field].length < wanted) this.open.set(field, '');
  }

  text(text: string): void {
    for (const [field, sofar] of this.open) if (sofar.length < FIELD_MAX) this.open.set(field, sofar + text.slice(0, FIELD_MAX - sofar.length));
  }

  /** a closing tag ends every field but the description, which ends at `</p>` */
  close(tag: string): void {
    for (const [field, sofar] of this.open) {
      if (field === 'description' && tag !== 'p') continue;
      this.open.delete(field);
      const text = decodeText(sofar);
      if (text) this.values[field].push(text);
    }
  }
}

/**
 * Parses ollama.com `/library` or `/search` HTML by the `x-test-*` markers third-party scrapers rely
 * on, in one pass over its tags (html-text.ts says why no patterns). Throws RemoteError when the page
 * is too large, the markers are gone (the page changed) or nothing could be read.
 */
export function parseLibraryPage(html: string, url = 'ollama.com/library'): ParsedLibraryEntry[] {
  if (html.length > LIBRARY_PAGE_MAX_BYTES) throw new RemoteError(`the ollama.com library page is larger than ${LIBRARY_PAGE_MAX_BYTES / 1024 / 1024} MB: using the bundled list`, url);
  const drafts: EntryDraft[] = [];
  let current: EntryDraft | null = null;
  for (const token of htmlTokens(html)) {
    if (token.type === 'text') {
      current?.text(token.text);
      continue;
    }
    if (token.closing) {
      current?.close(token.name);
      continue;
    }
    if (token.name === 'li' && hasAttribute(token.attrs, 'x-test-model')) {
      current = new EntryDraft();
      drafts.push(current);
      continue;
    }
    if (!current) continue;
    for (const [marker, field] of MARKERS) if (hasAttribute(token.attrs, marker)) current.start(field);
    const cls = token.name === 'p' ? (attributeValue(token.attrs, 'class') ?? '') : '';
    if (cls.includes('max-w-lg') || cls.includes('break-words')) current.start('description');
    // the model's own link (`/library/llama3.1`), not one of its pages (`/library/llama3.1/tags`)
    const href = current.hrefName === null ? attributeValue(token.attrs, 'href') : null;
    if (href?.startsWith('/library/') && /^[^/?#]+$/.test(href.slice('/library/'.length))) current.hrefName = href.slice('/library/'.length);
  }
  if (!drafts.length) throw new RemoteError('the ollama.com library page changed (no x-test-model entries): using the bundled list', url);
  const out: ParsedLibraryEntry[] = [];
  for (const { values: v, hrefName } of drafts) {
    const name = v.title[0] ?? hrefName;
    if (!name || !/^[\w.\-]+$/.test(name)) continue;
    out.push({
      name,
      description: v.description[0] ?? '',
      capabilities: v.capability.map((c) => c.toLowerCase()),
      sizes: v.size.map((c) => c.toLowerCase()),
      pulls: parsePullCount(v.pulls[0]),
      updated: v.updated[0] ?? null,
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
    const { text } = await getText(url, { ...o, headers: { accept: 'text/html' }, maxBytes: LIBRARY_PAGE_MAX_BYTES });
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
