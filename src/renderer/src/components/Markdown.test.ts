import { describe, expect, it } from 'vitest';
import { renderMarkdown } from './Markdown';

describe('Markdown rendering (model cards, chat answers)', () => {
  it('renders Markdown and shows raw HTML as text', () => {
    const html = renderMarkdown('# Title\n\n<script>alert(1)</script>\n<img src=x onerror="alert(1)">\n\n| a | b |\n|---|---|\n| 1 | 2 |');
    expect(html).toContain('<h1>Title</h1>');
    expect(html).toContain('<table>');
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;script&gt;');
  });

  it('keeps only safe links, opened outside; images become links and are not loaded', () => {
    const html = renderMarkdown('[guide](https://example.com/g) [x](javascript:alert(1)) ![chart](https://example.com/c.png) ![local](file:///etc/passwd)');
    expect(html).toContain('<a href="https://example.com/g" target="_blank" rel="noopener noreferrer">guide</a>');
    expect(html).not.toContain('href="javascript:');
    expect(html).toContain('[image: chart]');
    expect(html).not.toMatch(/<img/);
    expect(html).not.toContain('file:///etc/passwd"');
  });

  it('puts a Copy button on each code block and keeps the code escaped', () => {
    const html = renderMarkdown('Run:\n\n```bash\necho "<b>hi</b>" && ls\n```\n\n    indented block');
    expect(html).toContain('<button type="button" class="small copy-code" data-copy-code>Copy code</button>');
    expect(html).toContain('<span>bash</span>');
    expect(html).toContain('echo &quot;&lt;b&gt;hi&lt;/b&gt;&quot; &amp;&amp; ls');
    expect(html).not.toContain('<b>hi</b>');
    expect(html.match(/data-copy-code/g)).toHaveLength(1);
  });

  it('escapes a fence info string that tries to break out of its attribute', () => {
    const html = renderMarkdown('```"><script>x</script>\ncode\n```');
    expect(html).not.toContain('<script>');
  });
});
