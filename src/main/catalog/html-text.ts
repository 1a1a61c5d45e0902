/**
 * Reading fetched HTML in one pass. Pages come from servers we do not control, so nothing here uses a
 * pattern that can backtrack: `<[^>]+>` alone is quadratic on a run of `<`, and the library parser's
 * tag patterns were worse (a 240 KB page held the event loop for 18.7 s). Each character is looked at
 * a bounded number of times, whatever the markup.
 */
export type HtmlToken = { type: 'text'; text: string } | { type: 'tag'; closing: boolean; name: string; attrs: string };

/**
 * Text runs and tags, in order. A tag runs from `<` to the next `>`; a `<` with no `>` after it is text,
 * as is everything after it (no later `<` can close either), so the scan never goes back.
 */
export function* htmlTokens(html: string): Generator<HtmlToken> {
  let i = 0;
  while (i < html.length) {
    const lt = html.indexOf('<', i);
    const gt = lt < 0 ? -1 : html.indexOf('>', lt + 1);
    if (lt < 0 || gt < 0) {
      yield { type: 'text', text: html.slice(i) };
      return;
    }
    if (lt > i) yield { type: 'text', text: html.slice(i, lt) };
    const raw = html.slice(lt + 1, gt);
    const closing = raw.startsWith('/');
    const body = closing ? raw.slice(1) : raw;
    let end = 0;
    while (end < body.length && !isNameEnd(body.charCodeAt(end))) end++;
    yield { type: 'tag', closing, name: body.slice(0, end).toLowerCase(), attrs: body.slice(end) };
    i = gt + 1;
  }
}

/** whitespace, `/` or `>` ends a tag name */
function isNameEnd(code: number): boolean {
  return code === 47 || code === 62 || code <= 32;
}

/** Whether a tag's attributes include `name` as a whole attribute name (`x-test-model`, `class="…"`). */
export function hasAttribute(attrs: string, name: string): boolean {
  for (let at = attrs.indexOf(name); at >= 0; at = attrs.indexOf(name, at + 1)) {
    const before = at === 0 ? 32 : attrs.charCodeAt(at - 1);
    const after = at + name.length >= attrs.length ? 32 : attrs.charCodeAt(at + name.length);
    if (before <= 32 && (after <= 32 || after === 61 /* = */ || after === 47 /* / */)) return true;
  }
  return false;
}

/** The value of a double-quoted attribute (`href="/library/x"` → `/library/x`), or null. */
export function attributeValue(attrs: string, name: string): string | null {
  const key = `${name}="`;
  for (let at = attrs.indexOf(key); at >= 0; at = attrs.indexOf(key, at + 1)) {
    if (at > 0 && attrs.charCodeAt(at - 1) > 32) continue;
    const end = attrs.indexOf('"', at + key.length);
    return end < 0 ? null : attrs.slice(at + key.length, end);
  }
  return null;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", '#x27': "'", nbsp: ' ' };

/** The few entities listing pages use, decoded once (`&amp;lt;` stays `&lt;`); whitespace collapsed. */
export function decodeText(text: string): string {
  return text
    .replace(/&(amp|lt|gt|quot|#39|#x27|nbsp);/g, (_, name: string) => ENTITIES[name]!)
    .replace(/\s+/g, ' ')
    .trim();
}

/** HTML → plain text: tags become spaces (`a<br>b` reads `a b`), entities decoded. */
export function htmlToText(html: string): string {
  const parts: string[] = [];
  for (const token of htmlTokens(html)) parts.push(token.type === 'text' ? token.text : ' ');
  return decodeText(parts.join(''));
}
