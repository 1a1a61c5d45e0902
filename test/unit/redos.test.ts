import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseVllmRegistry } from '../../src/main/catalog/huggingface';
import { htmlToText } from '../../src/main/catalog/html-text';
import { plainSummary } from '../../src/main/catalog/news';
import { LIBRARY_PAGE_MAX_BYTES, parseLibraryPage } from '../../src/main/catalog/ollama-library';
import { RemoteError } from '../../src/main/catalog/remote';
import { ggufQuantization } from '../../src/main/hub/file-selection';
import { templateRejectsSystem } from '../../src/main/models/capabilities';
import { isOllamaDuration, OllamaSettings, SettingsPatch } from '../../src/shared/settings';
import { FIXTURES } from '../support/core';

/**
 * Every pattern applied to input is linear or bounded before it runs. Each hostile input below held the
 * event loop for seconds to minutes with the patterns these replace; read in one pass, each takes
 * milliseconds. The bound (1 s) is far above that and far below the old cost, so it cannot flake
 * either way.
 */
const BOUND_MS = 1000;
function timed<T>(fn: () => T): { value: T; ms: number } {
  const started = performance.now();
  const value = fn();
  return { value, ms: performance.now() - started };
}

describe('settings patterns', () => {
  it('keepAlive: 30 digits and a letter are refused at once (the old pattern backtracked 2^30 ways)', () => {
    const { value, ms } = timed(() => OllamaSettings.shape.keepAlive.safeParse(`${'1'.repeat(30)}x`));
    expect(value.success).toBe(false);
    expect(ms).toBeLessThan(BOUND_MS);
    // over the length limit, the duration check does not run at all
    const long = timed(() => SettingsPatch.safeParse({ ollama: { keepAlive: `${'1'.repeat(60)}x` } }));
    expect(long.value.success).toBe(false);
    expect(long.ms).toBeLessThan(BOUND_MS);
  });

  it('keepAlive reads Ollama durations as before', () => {
    for (const ok of ['5m', '1h30m', '-1', '0', '1.5h', '300', '10ms', '2µs', '100ns', '1h2m3s4ms']) expect(isOllamaDuration(ok), ok).toBe(true);
    for (const bad of ['', '-', 'm', '5m; rm -rf', '1.', '.5', '5 m', '1h-1', '5d', '--1']) expect(isOllamaDuration(bad), bad).toBe(false);
  });

  it('a host of 60 000 colons is refused before its pattern runs', () => {
    const { value, ms } = timed(() => SettingsPatch.safeParse({ ollama: { host: `${':'.repeat(60_000)}x` }, vllm: { host: `${':'.repeat(60_000)}x` } }));
    expect(value.success).toBe(false);
    expect(ms).toBeLessThan(BOUND_MS);
    expect(SettingsPatch.safeParse({ ollama: { host: '::1' }, vllm: { host: 'gpu-box.local' } }).success).toBe(true);
  });
});

describe('fetched pages are parsed in one pass', () => {
  const fixture = (name: string) => readFileSync(join(FIXTURES, 'catalog', name), 'utf8');
  const entry = '<li x-test-model><span x-test-search-response-title>evil</span>';

  it('the Ollama library parser on hostile pages (each held the old parser for seconds)', () => {
    const pages = [
      `${entry}<p x-test-size>${'<'.repeat(50_000)}</p>`, // tag stripping without a '>'
      `${'<li x-test-model '.repeat(1_000)}`, // entries whose tag never ends
      `${entry}<p class="${'max-w-lg '.repeat(26_000)}`, // a description class that never closes
      `${entry}${'<b x-test-size>'.repeat(4_000)}`, // markers whose text never closes
    ];
    for (const page of pages) {
      const { ms } = timed(() => {
        try {
          parseLibraryPage(page);
        } catch (error) {
          expect(error).toBeInstanceOf(RemoteError);
        }
      });
      expect(ms).toBeLessThan(BOUND_MS);
    }
  });

  it('the library parser still reads the real markup, nested tags and entities', () => {
    const page = `${entry}<p class="max-w-lg">A &amp; <a href="#">B</a></p><span x-test-size><b>8B</b></span><span x-test-capability>tools</span><span x-test-pull-count>1.2K</span></li>`;
    expect(parseLibraryPage(page)).toEqual([{ name: 'evil', description: 'A & B', capabilities: ['tools'], sizes: ['8b'], pulls: 1200, updated: null }]);
    expect(parseLibraryPage('<li x-test-model><a href="/library/phi3/tags">t</a><a href="/library/phi3">p</a></li>')[0]!.name).toBe('phi3');
    expect(parseLibraryPage(fixture('ollama-library.html'))).toHaveLength(5);
  });

  it('a library page over the size limit is refused unread', () => {
    const page = fixture('ollama-library.html').padEnd(LIBRARY_PAGE_MAX_BYTES + 1, ' ');
    expect(() => parseLibraryPage(page)).toThrow(/larger than 4 MB/);
  });

  it("vLLM's registry with 60 000 blank lines", () => {
    const { value, ms } = timed(() => {
      try {
        return parseVllmRegistry(`_TEXT_GENERATION_MODELS = {${'\n'.repeat(60_000)}`);
      } catch (error) {
        return error;
      }
    });
    expect(value).toBeInstanceOf(RemoteError);
    expect(ms).toBeLessThan(BOUND_MS);
    expect(parseVllmRegistry(fixture('vllm-registry.py'))).toContain('LlamaForCausalLM');
  });

  it('feed summaries with 60 000 unclosed tags', () => {
    const { value, ms } = timed(() => plainSummary('<'.repeat(60_000)));
    expect(value.startsWith('<<<')).toBe(true);
    expect(ms).toBeLessThan(BOUND_MS);
    expect(htmlToText('<p>a<br>b &amp;lt; c&nbsp;d</p>')).toBe('a b &lt; c d');
  });
});

describe('names and templates from downloaded models', () => {
  it('a GGUF path of 80 000 characters', () => {
    const { value, ms } = timed(() => ggufQuantization(`${'_Q1'.repeat(27_000)}-.gguf`));
    expect(value).toBeNull();
    expect(ms).toBeLessThan(BOUND_MS);
    expect(ggufQuantization('sub/model.Q4_K_M.gguf')).toBe('Q4_K_M');
    expect(ggufQuantization('model-IQ2_XXS-00001-of-00002.gguf')).toBe('IQ2_XXS');
  });

  it("a chat template repeating 'system' 25 000 times", () => {
    const { value, ms } = timed(() => templateRejectsSystem(`{% if ${"'system'".repeat(25_000)}`));
    expect(value).toBe(false);
    expect(ms).toBeLessThan(BOUND_MS);
    expect(templateRejectsSystem("{%- if messages[0].role == \"system\" -%}\n  {{- raise_exception('x') }}")).toBe(true);
    expect(templateRejectsSystem("{% if m == 'system' %}{{ m }}{% endif %}{{ raise_exception('x') }}")).toBe(false);
  });
});
