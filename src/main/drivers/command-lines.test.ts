import { describe, expect, it } from 'vitest';
import { commandLines } from './command-lines';

describe('commandLines', () => {
  it('puts the program and its operands first, then one option a line with its values', () => {
    expect(commandLines(['vllm', 'serve', 'org/m', '--port', '8000', '--enforce-eager', '--max-model-len', '4096'])).toEqual(['vllm serve org/m', '--port 8000', '--enforce-eager', '--max-model-len 4096']);
  });

  it('quotes what a shell would split or expand, so a copied line runs as shown', () => {
    expect(commandLines(['/opt/my tools/vllm', 'serve', "it's", '--x', '$HOME'])).toEqual([`'/opt/my tools/vllm' serve 'it'\\''s'`, `--x '$HOME'`]);
  });
});
