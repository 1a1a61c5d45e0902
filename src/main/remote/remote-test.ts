import type { ReasonCode, RemoteTestResult } from '../../shared/api/remote';
import { AppError } from '../../shared/errors';
import type { Budgets } from './budgets';
import { costOf } from './governance';
import { PRESETS } from './presets';
import type { ProviderTarget } from './provider-service';
import { classifyNetError, reasonOfStatus, upstreamMessage } from './upstream-errors';
import { MAX_ERROR_BODY, readCappedResponse } from '../net/capped-body';
import { redirectTarget } from './validation';

/** A 64-token test answer (or one embedding) is far below this; a stream past it is not a test answer. */
const MAX_TEST_ANSWER = 4 * 1024 * 1024;

export interface RemoteTestInput {
  target: ProviderTarget;
  model: string;
  kind: 'chat' | 'embedding';
  prompt: string;
  fetch: typeof fetch;
  budgets: Budgets;
  timeoutMs: number;
}

const round = (n: number) => Math.round(n * 10) / 10;

/**
 * The test prompt: a separate action because it costs tokens. A short streamed chat (latency, time to
 * first token, usage) or one embedding; its usage and cost are recorded like any proxied request.
 */
export async function remoteTest(input: RemoteTestInput): Promise<RemoteTestResult> {
  const { target, model, kind } = input;
  if (kind === 'embedding' && !PRESETS[target.row.kind].embeddings) {
    throw new AppError('bad_request', `${PRESETS[target.row.kind].label} has no embeddings endpoint — test with a chat prompt.`);
  }
  const refusal = input.budgets.check(target.row);
  if (refusal) throw new AppError('conflict', refusal.message, { reason_code: refusal.reason });
  const host = new URL(target.base).host;
  const at = new Date().toISOString();
  const t0 = performance.now();
  let ttft: number | null = null;
  let answer = '';
  let usage: { prompt_tokens?: number; completion_tokens?: number } = {};
  const result = (ok: boolean, error: { code: ReasonCode; message: string } | null): RemoteTestResult => {
    const prompt = usage.prompt_tokens ?? null;
    const completion = usage.completion_tokens ?? null;
    const cost = costOf(target.row.governance.price, prompt ?? 0, completion ?? 0);
    input.budgets.record(target.row, {
      model,
      error: error?.code ?? null,
      fallback: false,
      promptTokens: prompt ?? 0,
      completionTokens: completion ?? 0,
      costUsd: cost ?? 0,
    });
    return {
      ok,
      provider: target.row.id,
      model,
      kind,
      answer: ok ? answer : null,
      latency_ms: round(performance.now() - t0),
      ttft_ms: ttft === null ? null : round(ttft),
      prompt_tokens: prompt,
      completion_tokens: completion,
      cost_usd: cost,
      error,
      at,
    };
  };

  const body =
    kind === 'embedding'
      ? { model, input: input.prompt }
      : { model, stream: true, stream_options: { include_usage: true }, max_tokens: 64, messages: [{ role: 'user', content: input.prompt }] };
  let res: Response;
  try {
    res = await input.fetch(`${target.base}/${kind === 'embedding' ? 'embeddings' : 'chat/completions'}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: kind === 'embedding' ? 'application/json' : 'text/event-stream', ...target.headers },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(input.timeoutMs),
      redirect: 'manual', // the key never follows a redirect
    });
  } catch (error) {
    const c = classifyNetError(error, host);
    if (c.reason === 'offline') throw new AppError('offline', c.message);
    return result(false, { code: c.reason, message: c.message });
  }
  if (res.status >= 300 && res.status < 400) {
    await res.body?.cancel().catch(() => {});
    return result(false, { code: 'redirected', message: `${host} answered ${res.status}, redirecting to ${redirectTarget(res.headers.get('location'), target.base)}; Switchyard never follows a redirect with a key — fix base_url and validate again.` });
  }
  if (!res.ok) {
    const { text } = await readCappedResponse(res, MAX_ERROR_BODY);
    return result(false, { code: reasonOfStatus(res.status, text), message: `${host} answered ${res.status}: ${upstreamMessage(text, target.key)}` });
  }
  try {
    if (kind === 'embedding') {
      const { text, truncated } = await readCappedResponse(res, MAX_TEST_ANSWER);
      if (truncated) return result(false, { code: 'invalid_response', message: `${host}'s embedding answer is larger than ${MAX_TEST_ANSWER / 1024 / 1024} MiB.` });
      const json = JSON.parse(text) as { data?: { embedding?: number[] }[]; usage?: typeof usage };
      usage = json.usage ?? {};
      const dims = json.data?.[0]?.embedding?.length ?? 0;
      answer = `${dims}-dimensional embedding`;
      return result(dims > 0, dims > 0 ? null : { code: 'invalid_response', message: `${host} answered without an embedding.` });
    }
    const decoder = new TextDecoder();
    let rest = '';
    let read = 0;
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      read += chunk.byteLength;
      if (read > MAX_TEST_ANSWER) throw new Error(`the answer passed ${MAX_TEST_ANSWER / 1024 / 1024} MiB for a 64-token test`);
      rest += decoder.decode(chunk, { stream: true });
      const lines = rest.split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.startsWith('data:')) continue;
        const data = line.slice(5).trim();
        if (data === '[DONE]' || data === '') continue;
        const event = JSON.parse(data) as { choices?: { delta?: { content?: string | null } }[]; usage?: typeof usage | null };
        const text = event.choices?.[0]?.delta?.content;
        if (text) {
          ttft ??= performance.now() - t0;
          answer += text;
        }
        if (event.usage) usage = event.usage;
      }
    }
    return result(true, null);
  } catch (error) {
    return result(false, { code: 'stream_cut', message: `${host}'s answer broke off: ${(error as Error).message}` });
  }
}
