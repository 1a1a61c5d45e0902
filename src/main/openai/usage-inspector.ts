const MAX_INSPECT_BYTES = 8 * 1024 * 1024;
/** an SSE chunk with non-empty generated text (chat `content`, completion `text`, or reasoning) */
const GENERATED_TEXT = /"(?:content|text|reasoning_content|reasoning)":"(?:[^"\\]|\\.)/;

/** Watches the body for `usage` without holding anything back. */
export class UsageInspector {
  ok = true;
  private prompt: number | null = null;
  private completion: number | null = null;
  private tokenChunks = 0;
  private rest = '';
  private body: Buffer[] = [];
  private bodyBytes = 0;

  constructor(private readonly stream: boolean) {}

  /** Returns whether this chunk completed an SSE event carrying generated text. */
  push(chunk: Buffer): boolean {
    if (!this.stream) {
      if (this.bodyBytes + chunk.length <= MAX_INSPECT_BYTES) this.body.push(chunk);
      this.bodyBytes += chunk.length;
      return false;
    }
    let sawText = false;
    // latin1: one character per byte, so a UTF-8 sequence split between reads needs no decoder state,
    // and the markers looked for are ASCII; only a `usage` line is decoded as UTF-8
    const text = this.rest + chunk.toString('latin1');
    const lastNl = text.lastIndexOf('\n');
    if (lastNl === -1) {
      this.rest = text.length > 1 << 20 ? '' : text;
      return false;
    }
    this.rest = text.slice(lastNl + 1);
    let from = 0;
    for (;;) {
      const i = text.indexOf('data:', from);
      if (i === -1 || i > lastNl) break;
      const end = text.indexOf('\n', i);
      const line = text.slice(i + 5, end).trim();
      from = end + 1;
      if (line === '[DONE]' || line === '') continue;
      if (GENERATED_TEXT.test(line)) {
        this.tokenChunks++;
        sawText = true;
      }
      if (line.includes('"usage"')) this.readUsage(Buffer.from(line, 'latin1').toString('utf8'));
    }
    return sawText;
  }

  usage(): { prompt: number | null; completion: number | null } {
    if (!this.stream && this.ok && this.body.length > 0 && this.bodyBytes <= MAX_INSPECT_BYTES) {
      this.readUsage(Buffer.concat(this.body).toString('utf8'));
      this.body = [];
    }
    // A stream without a usage chunk (the client did not ask for it): one text chunk is about one token.
    if (this.stream && this.ok && this.completion === null && this.tokenChunks > 0) return { prompt: this.prompt, completion: this.tokenChunks };
    return { prompt: this.prompt, completion: this.completion };
  }

  private readUsage(json: string): void {
    try {
      const usage = (JSON.parse(json) as { usage?: { prompt_tokens?: number; completion_tokens?: number } | null }).usage;
      if (!usage) return;
      if (typeof usage.prompt_tokens === 'number') this.prompt = usage.prompt_tokens;
      if (typeof usage.completion_tokens === 'number') this.completion = usage.completion_tokens;
    } catch {
      // not JSON: nothing to count
    }
  }
}
