import { describe, expect, it } from 'vitest';
import { linkParts } from '../../src/renderer/src/components/Linkified';

describe('links in messages', () => {
  it('turns http(s) addresses into links, leaving the sentence punctuation outside', () => {
    expect(linkParts('Accept its terms on https://huggingface.co/org/gated-model, then retry.')).toEqual([
      'Accept its terms on ',
      { url: 'https://huggingface.co/org/gated-model' },
      ', then retry.',
    ]);
    expect(linkParts('See (https://ollama.com/download).')).toEqual(['See (', { url: 'https://ollama.com/download' }, ').']);
  });

  it('leaves other schemes as text', () => {
    expect(linkParts('javascript:alert(1) file:///etc/passwd')).toEqual(['javascript:alert(1) file:///etc/passwd']);
  });
});
