import MarkdownIt from 'markdown-it';
import { useMemo, useState, type MouseEvent } from 'react';

/**
 * Third-party text (model cards, model answers) as Markdown: raw HTML off (tags are shown as text),
 * link targets checked by markdown-it (no javascript:, vbscript:, file:), links opened outside the app,
 * and images not fetched (a link in their place), so the text cannot run code or call other hosts.
 * Code blocks get a Copy button (handled by the component, below).
 */
const md = new MarkdownIt({ html: false, linkify: true, typographer: false });
md.renderer.rules.link_open = (tokens, idx, options, _env, self) => {
  tokens[idx]!.attrSet('target', '_blank');
  tokens[idx]!.attrSet('rel', 'noopener noreferrer');
  return self.renderToken(tokens, idx, options);
};
md.renderer.rules.image = (tokens, idx) => {
  const token = tokens[idx]!;
  const src = String(token.attrGet('src') ?? '');
  const alt = md.utils.escapeHtml(token.content || 'image');
  return /^https?:\/\//i.test(src) ? `<a href="${md.utils.escapeHtml(src)}" target="_blank" rel="noopener noreferrer">[image: ${alt}]</a>` : `[image: ${alt}]`;
};
const fence = md.renderer.rules.fence!;
md.renderer.rules.fence = (tokens, idx, options, env, self) => {
  const lang = md.utils.escapeHtml(tokens[idx]!.info.trim().split(/\s+/)[0] ?? '');
  return `<div class="code-block"><div class="code-head"><span>${lang}</span><button type="button" class="small copy-code" data-copy-code>Copy code</button></div>${fence(tokens, idx, options, env, self)}</div>`;
};

export function renderMarkdown(markdown: string): string {
  return md.render(markdown);
}

/** Writes `text` to the clipboard; says so in words either way. */
export async function copyText(text: string): Promise<string> {
  try {
    await navigator.clipboard.writeText(text);
    return 'Copied';
  } catch {
    return 'Could not copy: select the text and copy it by hand';
  }
}

export function Markdown({ text, className, testId }: { text: string; className?: string; testId?: string }) {
  const html = useMemo(() => renderMarkdown(text), [text]);
  const [note, setNote] = useState<string | null>(null);
  // one listener for every code block's Copy button (the HTML is markdown-it's, not React elements)
  const onClick = (e: MouseEvent<HTMLDivElement>) => {
    const button = (e.target as HTMLElement).closest<HTMLButtonElement>('[data-copy-code]');
    const code = button?.closest('.code-block')?.querySelector('code');
    if (!button || !code) return;
    void copyText(code.textContent ?? '').then((said) => {
      button.textContent = said === 'Copied' ? 'Copied' : 'Copy code';
      setNote(said === 'Copied' ? null : said);
    });
  };
  return (
    <>
      {/* markdown-it output with HTML off (see above): the only HTML it can hold is what it wrote itself */}
      <div className={className} data-testid={testId} onClick={onClick} dangerouslySetInnerHTML={{ __html: html }} />
      {note && (
        <p className="error small" role="alert">
          {note}
        </p>
      )}
    </>
  );
}
