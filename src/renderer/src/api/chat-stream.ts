import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { apiBase, ApiError, authHeader } from './client';

export interface ChatTurn {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface StreamResult {
  content: string;
  /** ms from sending to the first token */
  ttftMs: number | null;
  /** completion tokens per second after the first one arrived */
  tokensPerS: number | null;
  completionTokens: number | null;
  stopped: boolean;
}

interface Chunk {
  choices?: { delta?: { content?: string | null } }[];
  usage?: { completion_tokens?: number } | null;
  error?: { message?: string };
}

/**
 * One streamed answer from Switchyard's own OpenAI-compatible endpoint (the same URL client apps
 * use), timed as the user sees it. Aborting `signal` is Stop: what arrived so far is returned.
 */
export async function streamChat(
  body: { model: string; messages: ChatTurn[]; temperature: number; max_tokens: number | null },
  signal: AbortSignal,
  onText: (textSoFar: string) => void,
  now: () => number = () => performance.now(),
): Promise<StreamResult> {
  const started = now();
  let first: number | null = null;
  let last = started;
  let content = '';
  let chunks = 0;
  let usageTokens: number | null = null;
  let streamError: string | null = null;
  const result = (stopped: boolean): StreamResult => {
    const completionTokens = usageTokens ?? (chunks || null);
    const seconds = first !== null ? (last - first) / 1000 : 0;
    return {
      content,
      ttftMs: first !== null ? first - started : null,
      tokensPerS: completionTokens && seconds > 0 ? (completionTokens - 1) / seconds : null,
      completionTokens,
      stopped,
    };
  };

  let res: Response;
  try {
    res = await fetch(`${apiBase()}/v1/chat/completions`, {
      method: 'POST',
      signal,
      headers: { ...authHeader(), 'content-type': 'application/json' },
      body: JSON.stringify({
        model: body.model,
        messages: body.messages,
        temperature: body.temperature,
        ...(body.max_tokens ? { max_tokens: body.max_tokens } : {}),
        stream: true,
        stream_options: { include_usage: true },
      }),
    });
  } catch (error) {
    if (signal.aborted) return result(true);
    throw new ApiError('unreachable', `Cannot reach Switchyard's chat endpoint: ${String(error)}`, 0);
  }
  if (!res.ok || !res.body) {
    const text = await res.text().catch(() => '');
    let message = `HTTP ${res.status}`;
    try {
      const parsed = JSON.parse(text) as { error?: { message?: string; code?: string } };
      message = parsed.error?.message ?? message;
    } catch {
      if (text) message = text.slice(0, 300);
    }
    throw new ApiError('chat_failed', message, res.status);
  }

  const parser = createParser({
    onEvent(event: EventSourceMessage) {
      if (event.data === '[DONE]') return;
      let chunk: Chunk;
      try {
        chunk = JSON.parse(event.data) as Chunk;
      } catch {
        return;
      }
      if (chunk.error?.message) streamError = chunk.error.message;
      if (chunk.usage?.completion_tokens !== undefined) usageTokens = chunk.usage.completion_tokens;
      const delta = chunk.choices?.[0]?.delta?.content;
      if (delta) {
        const t = now();
        if (first === null) first = t;
        last = t;
        chunks++;
        content += delta;
        onText(content);
      }
    },
  });
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      parser.feed(value);
    }
  } catch (error) {
    if (signal.aborted) return result(true);
    throw new ApiError('chat_failed', `The answer broke off: ${String(error)}`, 0);
  }
  if (streamError) throw new ApiError('chat_failed', streamError, 0);
  return result(false);
}
