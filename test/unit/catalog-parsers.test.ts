import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hfShape, parseVllmRegistry, pickGgufFile, safetensorsWeights, vllmSupported } from '../../src/main/catalog/huggingface';
import { mapPapers, parseFeed, plainSummary } from '../../src/main/catalog/news';
import { bundledLibrary, defaultTag, mergeLibrary, parseLibraryPage, parsePullCount } from '../../src/main/catalog/ollama-library';
import { RemoteError } from '../../src/main/catalog/remote';
import { FIXTURES } from '../support/core';

const fixture = (name: string) => readFileSync(join(FIXTURES, 'catalog', name), 'utf8');

describe('ollama.com library page parser', () => {
  it('reads entries by the x-test-* markers', () => {
    const entries = parseLibraryPage(fixture('ollama-library.html'));
    expect(entries.map((e) => e.name)).toEqual(['llama3.1', 'deepseek-r1', 'gemma3', 'nomic-embed-text', 'switchyard-test-llm']);
    const r1 = entries[1]!;
    expect(r1.capabilities).toEqual(['tools', 'thinking']);
    expect(r1.sizes).toEqual(['1.5b', '7b', '8b', '14b', '32b', '70b', '671b']);
    expect(r1.pulls).toBe(76_400_000);
    expect(r1.updated).toBe('3 months ago');
    expect(r1.description).toMatch(/^DeepSeek-R1 is a family/);
    expect(entries[4]!.description).toContain('& not in the bundled list');
    expect(entries[4]!.pulls).toBe(1234);
  });

  it('a changed page is a RemoteError, never an empty list', () => {
    expect(() => parseLibraryPage(fixture('ollama-library-changed.html'))).toThrow(RemoteError);
    expect(() => parseLibraryPage('')).toThrow(/page changed/);
    expect(() => parseLibraryPage('<li x-test-model><span>no name</span></li>')).toThrow(/page changed/);
  });

  it('merges page data onto the bundled list without losing bundled models', () => {
    const merged = mergeLibrary(bundledLibrary, parseLibraryPage(fixture('ollama-library.html')));
    expect(merged.length).toBe(bundledLibrary.length + 1);
    const llama = merged.find((m) => m.name === 'llama3.1')!;
    expect(llama.pulls).toBe(109_300_000);
    expect(llama.tags.find((t) => t.tag === '8b')!.size_gb).toBe(4.9); // bundled size kept
    const fresh = merged.find((m) => m.name === 'switchyard-test-llm')!;
    expect(fresh.tags.map((t) => t.tag)).toEqual(['3b', '14b']);
    expect(fresh.tags[0]!.size_gb).toBeGreaterThan(1.5);
    const embed = merged.find((m) => m.name === 'nomic-embed-text')!;
    expect(embed.tags[0]!.tag).toBe('v1.5'); // no size badges on the page: bundled tags stay
  });

  it('parses pull counts', () => {
    expect(parsePullCount('110.5M')).toBe(110_500_000);
    expect(parsePullCount('12K Pulls')).toBe(12_000);
    expect(parsePullCount('1,234')).toBe(1234);
    expect(parsePullCount('')).toBeNull();
  });

  it('bundled list is a real catalog', () => {
    expect(bundledLibrary.length).toBeGreaterThanOrEqual(40);
    for (const m of bundledLibrary) expect(m.tags.length).toBeGreaterThan(0);
    expect(defaultTag(bundledLibrary.find((m) => m.name === 'llama3.1')!).tag).toBe('8b');
    expect(defaultTag(bundledLibrary.find((m) => m.name === 'deepseek-v3')!).tag).toBe('671b');
  });
});

describe('news', () => {
  it('maps RSS 2.0 items', () => {
    const items = parseFeed(fixture('blog-feed.xml'));
    expect(items).toHaveLength(3);
    expect(items[0]).toEqual({
      title: 'Serving open models faster with speculative decoding',
      url: 'https://huggingface.co/blog/speculative-serving',
      summary: 'We look at speculative decoding in vLLM & TGI, and how much it helps on a single GPU.',
      published_at: '2026-11-20T00:00:00.000Z',
      authors: ['Jane Doe'],
      source: 'huggingface',
    });
    expect(items[1]!.title).toBe('Welcome Qwen4 — on the Hub');
    expect(items[2]!.published_at).toBeNull();
    expect(items[2]!.summary).toBe('');
  });

  it('reads Atom too and rejects non-feeds', () => {
    const atom = `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><entry><title>A</title><link rel="alternate" href="https://x/a"/><updated>2026-01-02T00:00:00Z</updated><author><name>N</name></author><summary>S</summary></entry></feed>`;
    expect(parseFeed(atom)).toEqual([{ title: 'A', url: 'https://x/a', summary: 'S', published_at: '2026-01-02T00:00:00.000Z', authors: ['N'], source: 'huggingface' }]);
    expect(() => parseFeed('<html><body>maintenance</body></html>')).toThrow(RemoteError);
  });

  it('single-item feeds and long summaries', () => {
    const one = `<rss version="2.0"><channel><title>t</title><item><title>Only</title><link>https://x/only</link><description>${'word '.repeat(400)}</description></item></channel></rss>`;
    const items = parseFeed(one);
    expect(items).toHaveLength(1);
    expect(items[0]!.summary.length).toBeLessThanOrEqual(601);
    expect(items[0]!.summary.endsWith('…')).toBe(true);
    expect(plainSummary('<p>a&nbsp;<i>b</i></p>')).toBe('a b');
  });

  it('maps daily papers (protocols §3.6 shape)', () => {
    const raw = [
      {
        paper: {
          id: '2602.23229',
          authors: [
            { _id: '1', name: 'Marco Garosi', hidden: false },
            { _id: '2', name: 'Hidden Person', hidden: true },
          ],
          publishedAt: '2026-02-26T17:08:18.000Z',
          title: 'Large Multimodal Models as General In-Context Classifiers',
          summary: 'Which multimodal model should we use for classification?',
          ai_summary: 'short',
        },
        publishedAt: '2026-02-26T12:08:18.000Z',
        title: 'Large Multimodal Models as General In-Context Classifiers',
        numComments: 1,
      },
      { not: 'a paper' },
    ];
    expect(mapPapers(raw, 'https://huggingface.co')).toEqual([
      {
        title: 'Large Multimodal Models as General In-Context Classifiers',
        url: 'https://huggingface.co/papers/2602.23229',
        summary: 'Which multimodal model should we use for classification?',
        published_at: '2026-02-26T17:08:18.000Z',
        authors: ['Marco Garosi'],
        source: 'huggingface',
      },
    ]);
    expect(() => mapPapers({ error: 'x' }, 'https://huggingface.co')).toThrow(RemoteError);
  });
});

describe('vLLM registry parser', () => {
  it('reads the architecture keys of the text-generation and multimodal tables', () => {
    const archs = parseVllmRegistry(fixture('vllm-registry.py'));
    expect(archs).toHaveLength(24);
    expect(archs).toContain('ExoticForCausalLM');
    expect(archs).toContain('Qwen2VLForConditionalGeneration');
    expect(archs).not.toContain('BertModel');
    expect(() => parseVllmRegistry('# moved elsewhere')).toThrow(RemoteError);
  });
});

describe('Hugging Face mapping', () => {
  it('weights from safetensors counts and architecture support', () => {
    const info = { id: 'a/b-8B', tags: ['text-generation'], safetensors: { parameters: { BF16: 8e9, F32: 1e6 }, total: 8.001e9 }, config: { architectures: ['LlamaForCausalLM'] } };
    expect(safetensorsWeights(info)).toEqual({ bytes: 16e9 + 4e6, dtype: 'BF16', params: 8.001e9 });
    expect(vllmSupported(info)).toBe(true);
    expect(vllmSupported({ config: { architectures: ['ExoticForCausalLM'] } })).toBe(false);
    expect(vllmSupported({ tags: [] })).toBeNull();
    const shape = hfShape(info, { num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: 8, hidden_size: 4096, max_position_embeddings: 131072 });
    expect(shape).toMatchObject({ runtime: 'vllm', layers: 32, kvHeads: 8, headDim: 128, maxContext: 131072, dtype: 'BF16' });
  });

  it('GGUF repos: Q4_K_M file size and runtime ollama', () => {
    const siblings = [
      { rfilename: 'x-Q8_0.gguf', size: 8e9 },
      { rfilename: 'x-Q4_K_M.gguf', size: 4.9e9 },
    ];
    expect(pickGgufFile(siblings)).toEqual({ rfilename: 'x-Q4_K_M.gguf', size: 4.9e9 });
    const shape = hfShape({ id: 'o/x-8B-GGUF', tags: ['gguf'], siblings });
    expect(shape).toMatchObject({ runtime: 'ollama', weightsBytes: 4.9e9, dtype: 'Q4_K_M', parametersB: 8 });
  });
});
