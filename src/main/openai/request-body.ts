import { OpenAiError } from './errors';

/**
 * Deeper than any OpenAI request needs (messages → content parts → image_url is 5; a tool's JSON
 * Schema a few dozen at most), shallow enough that nothing recursive over the parsed value (a
 * re-serialization with `JSON.stringify`, a validator) can run out of stack.
 */
export const MAX_JSON_DEPTH = 128;

/**
 * Parses a client's request body once: valid JSON, an object, nested at most `MAX_JSON_DEPTH`. The depth
 * is measured on the bytes before parsing (one pass, no recursion), so a body of 5,000 `[` is refused
 * with a 400 instead of reaching code that recurses over it.
 */
export function parseRequestBody(body: unknown): Record<string, unknown> {
  let parsed = body;
  if (Buffer.isBuffer(body)) {
    const depth = jsonDepth(body);
    if (depth > MAX_JSON_DEPTH) {
      throw new OpenAiError(400, `The request body is nested ${depth > 10_000 ? 'over 10,000' : depth} levels deep; Switchyard accepts at most ${MAX_JSON_DEPTH}.`, 'invalid_request_error', 'nesting_too_deep');
    }
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      throw new OpenAiError(400, 'The request body is not valid JSON (see the OpenAI API reference).', 'invalid_request_error', 'invalid_json');
    }
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new OpenAiError(400, 'The request body must be a JSON object (see the OpenAI API reference).', 'invalid_request_error', 'invalid_json');
  }
  return parsed as Record<string, unknown>;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/** The deepest nesting of objects and arrays in JSON text (brackets inside strings do not count). */
export function jsonDepth(bytes: Uint8Array): number {
  let depth = 0;
  let max = 0;
  let i = 0;
  const n = bytes.length;
  while (i < n) {
    const c = bytes[i]!;
    if (c === QUOTE) {
      // skip the string: its brackets are text
      i++;
      while (i < n) {
        const s = bytes[i]!;
        if (s === BACKSLASH) i += 2;
        else if (s === QUOTE) break;
        else i++;
      }
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > max) max = depth;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
    i++;
  }
  return max;
}

/** About four bytes of request per prompt token: what a request costs before the upstream says. */
export function estimatePromptTokens(bodyBytes: number): number {
  return Math.ceil(bodyBytes / 4);
}
