import { Fragment } from 'react';

const URL_RE = /\bhttps?:\/\/[^\s<>"')\]]+[^\s<>"')\].,;:!?]/g;

/**
 * Text with its http(s) addresses as links (error messages and hints name pages to visit). Only
 * http and https become links, `quoted` words code; everything else stays text, so a message cannot inject
 * markup.
 */
export function linkParts(text: string): (string | { url: string })[] {
  const parts: (string | { url: string })[] = [];
  let last = 0;
  for (const match of text.matchAll(URL_RE)) {
    if (match.index > last) parts.push(text.slice(last, match.index));
    parts.push({ url: match[0] });
    last = match.index + match[0].length;
  }
  if (last < text.length) parts.push(text.slice(last));
  return parts;
}

/** `name` in a message (the API quotes commands, flags and files so) shows as code, without the backticks. */
function Quoted({ text }: { text: string }) {
  const pieces = text.split(/`([^`\n]+)`/);
  return <>{pieces.map((piece, i) => (i % 2 ? <code key={i}>{piece}</code> : <Fragment key={i}>{piece}</Fragment>))}</>;
}

export function Linkified({ text }: { text: string }) {
  const parts = linkParts(text);
  return (
    <>
      {parts.map((p, i) =>
        typeof p === 'string' ? (
          <Quoted key={i} text={p} />
        ) : (
          <a key={i} href={p.url} target="_blank" rel="noreferrer noopener">
            {p.url}
          </a>
        ),
      )}
    </>
  );
}
