import MarkdownIt from 'markdown-it';
import { useMemo } from 'react';

/**
 * Model cards are third-party text: Markdown with raw HTML off (tags are shown as text), link targets
 * checked by markdown-it (no javascript:, vbscript:, file:), links opened outside the app, and images
 * not fetched (a link in their place), so a card cannot run code or call other hosts.
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

export function renderModelCard(markdown: string): string {
  return md.render(markdown);
}

export function ModelCard({ markdown }: { markdown: string }) {
  const html = useMemo(() => renderModelCard(markdown), [markdown]);
  // markdown-it output with HTML off (see above): the only HTML it can hold is what it wrote itself
  return <div className="model-card" data-testid="model-card" dangerouslySetInnerHTML={{ __html: html }} />;
}
