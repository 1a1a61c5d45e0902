import type { ModelTestResult } from '../../shared/api/models';
import { endpointUrl, type ServingEndpoint } from '../serving/endpoint';
import { AppError, errorMessage, isAppError } from '../../shared/errors';

const TEST_TIMEOUT_MS = 120_000;

interface Usage {
  prompt_tokens?: number;
  completion_tokens?: number;
}

/** A streamed chat delta: the answer, and the reasoning as vLLM/Ollama stream it now or did before. */
export interface ChatDelta {
  content?: string | null;
  reasoning?: string | null;
  reasoning_content?: string | null;
}

/** `delta.reasoning` (current vLLM and Ollama), else `reasoning_content` (older vLLM, DeepSeek-style APIs). */
export function reasoningOf(delta: ChatDelta | null | undefined): string {
  return delta?.reasoning ?? delta?.reasoning_content ?? '';
}

export interface RuntimeCall {
  /** the transport the endpoint takes (global fetch for loopback, NetClient's for the rest) */
  fetch: typeof fetch;
  /** where it goes: the endpoint's apiBase (with its version path) and the headers it demands */
  endpoint: Pick<ServingEndpoint, 'apiBase' | 'headers'>;
  /** recorded with the result; the label says who answered in messages */
  runtime: string;
  label: string;
  /** the manifest's name (recorded) and the name the runtime serves it under (sent) */
  model: string;
  servedName: string;
}

const round = (n: number) => Math.round(n * 10) / 10;

function failed(call: RuntimeCall, prompt: string, t0: number, error: unknown, partial: Partial<ModelTestResult> = {}): ModelTestResult {
  return {
    ok: false,
    runtime: call.runtime,
    model: call.model,
    prompt,
    answer: null,
    reasoning: null,
    latency_ms: round(performance.now() - t0),
    ttft_ms: null,
    prompt_tokens: null,
    completion_tokens: null,
    tokens_per_second: null,
    ...partial,
    error: { code: isAppError(error) ? error.code : 'runtime_failed', message: isAppError(error) ? error.message : `${call.label} did not answer: ${errorMessage(error)}` },
    at: new Date().toISOString(),
  };
}

/** A short streamed chat completion: latency, time to first token (answer or reasoning), tokens/s. */
export async function chatTest(call: RuntimeCall, prompt: string, maxTokens: number): Promise<ModelTestResult> {
  const at = new Date().toISOString();
  const t0 = performance.now();
  let ttft: number | null = null;
  let answer = '';
  let reasoning = '';
  let usage = null as Usage | null;
  let chunks = 0;
  try {
    const res = await call.fetch(endpointUrl(call.endpoint.apiBase, '/chat/completions'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...call.endpoint.headers },
      body: JSON.stringify({ model: call.servedName, messages: [{ role: 'user', content: prompt }], max_tokens: maxTokens, temperature: 0, stream: true, stream_options: { include_usage: true } }),
      signal: AbortSignal.timeout(TEST_TIMEOUT_MS),
    });
    if (!res.ok || !res.body) throw new AppError('runtime_failed', `${call.label} answered ${res.status}: ${await upstreamMessage(res)}`);
    const decoder = new TextDecoder();
    let buffer = '';
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl).trim();
        buffer = buffer.slice(nl + 1);
        if (!line.startsWith('data:')) continue;
        const data = line.slice(5).trim();
        if (data === '[DONE]') continue;
        const chunk = JSON.parse(data) as { choices?: { delta?: ChatDelta }[]; usage?: Usage | null; error?: { message?: string } };
        if (chunk.error) throw new AppError('runtime_failed', `${call.label} failed mid-answer: ${chunk.error.message ?? 'unknown error'}`);
        const delta = chunk.choices?.[0]?.delta;
        const thought = reasoningOf(delta);
        if ((delta?.content ?? '') + thought) {
          ttft ??= performance.now() - t0;
          answer += delta?.content ?? '';
          reasoning += thought;
          chunks++;
        }
        if (chunk.usage) usage = chunk.usage;
      }
    }
  } catch (error) {
    return failed(call, prompt, t0, error, { answer: answer || null, ttft_ms: ttft === null ? null : round(ttft) });
  }
  const latency = performance.now() - t0;
  const completion = usage?.completion_tokens ?? (chunks || null);
  const genSeconds = ttft !== null ? (latency - ttft) / 1000 : 0;
  return {
    ok: true,
    runtime: call.runtime,
    model: call.model,
    prompt,
    answer,
    reasoning: reasoning || null,
    latency_ms: round(latency),
    ttft_ms: ttft === null ? null : round(ttft),
    prompt_tokens: usage?.prompt_tokens ?? null,
    completion_tokens: completion,
    tokens_per_second: completion && genSeconds > 0 ? round(completion > 1 ? (completion - 1) / genSeconds : completion / (latency / 1000)) : null,
    error: null,
    at,
  };
}

/** The test of an embedding model: one embedding through the runtime's OpenAI endpoint, timed. */
export async function embeddingTest(call: RuntimeCall, prompt: string): Promise<ModelTestResult> {
  const at = new Date().toISOString();
  const t0 = performance.now();
  try {
    const res = await call.fetch(endpointUrl(call.endpoint.apiBase, '/embeddings'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...call.endpoint.headers },
      body: JSON.stringify({ model: call.servedName, input: prompt }),
      signal: AbortSignal.timeout(TEST_TIMEOUT_MS),
    });
    if (!res.ok) throw new AppError('runtime_failed', `${call.label} answered ${res.status}: ${await upstreamMessage(res)}`);
    const body = (await res.json()) as { data?: { embedding?: unknown }[]; usage?: Usage };
    const vector = body.data?.[0]?.embedding;
    if (!Array.isArray(vector) || vector.length === 0) throw new AppError('runtime_failed', `${call.label} returned no embedding.`);
    return {
      ok: true, runtime: call.runtime, model: call.model, prompt, answer: `embedding of ${vector.length} dimensions`, reasoning: null, latency_ms: round(performance.now() - t0),
      ttft_ms: null, prompt_tokens: body.usage?.prompt_tokens ?? null, completion_tokens: null, tokens_per_second: null, error: null, at,
    };
  } catch (error) {
    return failed(call, prompt, t0, error);
  }
}

/** The runtime's own error message from a failed answer (OpenAI envelope, Ollama's `error`, FastAPI's `detail`). */
export async function upstreamMessage(res: Response): Promise<string> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { error?: string | { message?: string }; message?: string; detail?: unknown };
    if (typeof body.error === 'string') return body.error;
    if (body.error?.message) return body.error.message;
    if (body.message) return body.message;
    if (body.detail) return typeof body.detail === 'string' ? body.detail : JSON.stringify(body.detail);
  } catch {
    // not JSON
  }
  return text.slice(0, 300) || res.statusText;
}
