import { Markdown } from './Markdown';

/** A model's card (README) from its source: rendered as every third-party Markdown is (Markdown.tsx). */
export function ModelCard({ markdown }: { markdown: string }) {
  return <Markdown text={markdown} className="model-card" testId="model-card" />;
}
