import { describe, expect, it } from 'vitest';
import { renderModelCard } from './ModelCard';

describe('model card rendering', () => {
  it('renders Markdown and shows raw HTML as text', () => {
    const html = renderModelCard('# Title\n\n<script>alert(1)</script>\n<img src=x onerror="alert(1)">\n\n| a | b |\n|---|---|\n| 1 | 2 |');
    expect(html).toContain('<h1>Title</h1>');
    expect(html).toContain('<table>');
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;script&gt;');
  });

  it('keeps only safe links, opened outside; images become links and are not loaded', () => {
    const html = renderModelCard('[guide](https://example.com/g) [x](javascript:alert(1)) ![chart](https://example.com/c.png) ![local](file:///etc/passwd)');
    expect(html).toContain('<a href="https://example.com/g" target="_blank" rel="noopener noreferrer">guide</a>');
    expect(html).not.toContain('href="javascript:');
    expect(html).toContain('[image: chart]');
    expect(html).not.toMatch(/<img/);
    expect(html).not.toContain('file:///etc/passwd"');
  });
});
