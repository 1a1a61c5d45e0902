import { XMLParser } from 'fast-xml-parser';
import { z } from 'zod';
import type { NewsItem } from '../../shared/api/catalog';
import { htmlToText } from './html-text';
import { getJson, getText, RemoteError, type RemoteOptions } from './remote';

const SUMMARY_MAX = 600;

const text = (v: unknown): string => {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string' || typeof v === 'number') return String(v);
  if (typeof v === 'object' && '#text' in (v as Record<string, unknown>)) return String((v as Record<string, unknown>)['#text']);
  return '';
};

/** HTML in feed descriptions → plain text, shortened on a word boundary. */
export function plainSummary(html: string, max = SUMMARY_MAX): string {
  const plain = htmlToText(html);
  if (plain.length <= max) return plain;
  const cut = plain.slice(0, max);
  return `${cut.slice(0, Math.max(cut.lastIndexOf(' '), max - 40))}…`;
}

const isoDate = (raw: string): string | null => {
  if (!raw) return null;
  const t = Date.parse(raw);
  return Number.isNaN(t) ? null : new Date(t).toISOString();
};

const list = <T>(v: T | T[] | undefined | null): T[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);

/**
 * RSS 2.0 (`rss > channel > item`) and, since feeds drift, Atom (`feed > entry`). Items without a
 * title or link are skipped; a document that is neither throws.
 */
export function parseFeed(xml: string, source = 'huggingface', url = 'blog/feed.xml'): NewsItem[] {
  const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', processEntities: true, htmlEntities: true, trimValues: true });
  let doc: Record<string, unknown>;
  try {
    doc = parser.parse(xml) as Record<string, unknown>;
  } catch (error) {
    throw new RemoteError(`the blog feed is not valid XML (${(error as Error).message})`, url);
  }
  const rss = doc.rss as { channel?: { item?: unknown } } | undefined;
  const feed = doc.feed as { entry?: unknown } | undefined;
  if (rss?.channel) {
    return list(rss.channel.item as Record<string, unknown>[]).flatMap((item) => {
      const title = text(item.title).trim();
      const link = text(item.link).trim() || text(item.guid).trim();
      if (!title || !link) return [];
      const authors = [...list(item['dc:creator']), ...list(item.author)].map(text).filter(Boolean);
      return [{ title, url: link, summary: plainSummary(text(item.description) || text(item['content:encoded'])), published_at: isoDate(text(item.pubDate)), authors, source }];
    });
  }
  if (feed) {
    return list(feed.entry as Record<string, unknown>[]).flatMap((entry) => {
      const title = text(entry.title).trim();
      const links = list(entry.link as Record<string, string>[]);
      const link = (links.find((l) => !l['@_rel'] || l['@_rel'] === 'alternate') ?? links[0])?.['@_href'] ?? '';
      if (!title || !link) return [];
      const authors = list(entry.author as { name?: unknown }[]).map((a) => text(a?.name)).filter(Boolean);
      return [{ title, url: link, summary: plainSummary(text(entry.summary) || text(entry.content)), published_at: isoDate(text(entry.updated) || text(entry.published)), authors, source }];
    });
  }
  throw new RemoteError('the blog feed is neither RSS nor Atom', url);
}

/** `GET /api/daily_papers` item (protocols.md §3.6): a wrapper around `paper`. */
const PaperWrapper = z.object({
  title: z.string().nullish(),
  summary: z.string().nullish(),
  publishedAt: z.string().nullish(),
  paper: z
    .object({
      id: z.string(),
      title: z.string().nullish(),
      summary: z.string().nullish(),
      ai_summary: z.string().nullish(),
      publishedAt: z.string().nullish(),
      authors: z.array(z.object({ name: z.string().nullish(), hidden: z.boolean().nullish() })).nullish(),
    })
    .passthrough(),
});

export function mapPapers(json: unknown, endpoint: string): NewsItem[] {
  if (!Array.isArray(json)) throw new RemoteError('daily papers: expected a JSON array', `${endpoint}/api/daily_papers`);
  return json.flatMap((raw) => {
    const parsed = PaperWrapper.safeParse(raw);
    if (!parsed.success) return [];
    const w = parsed.data;
    const title = (w.paper.title ?? w.title ?? '').trim();
    if (!title) return [];
    return [
      {
        title,
        url: `${endpoint}/papers/${encodeURIComponent(w.paper.id)}`,
        summary: plainSummary(w.paper.summary ?? w.summary ?? w.paper.ai_summary ?? ''),
        published_at: isoDate(w.paper.publishedAt ?? w.publishedAt ?? ''),
        authors: (w.paper.authors ?? []).filter((a) => !a.hidden && a.name).map((a) => a.name!),
        source: 'huggingface',
      },
    ];
  });
}

export class NewsClient {
  constructor(private readonly options: () => RemoteOptions & { endpoint: string }) {}

  async blog(): Promise<NewsItem[]> {
    const o = this.options();
    const url = `${o.endpoint}/blog/feed.xml`;
    const { text: xml } = await getText(url, { ...o, headers: { accept: 'application/rss+xml, application/xml, text/xml' } });
    return parseFeed(xml, 'huggingface', url);
  }

  async papers(month: string, limit: number): Promise<NewsItem[]> {
    const o = this.options();
    const qs = new URLSearchParams({ month, limit: String(Math.min(limit, 100)), sort: 'trending' });
    const { json } = await getJson(`${o.endpoint}/api/daily_papers?${qs}`, o);
    return mapPapers(json, o.endpoint);
  }
}
