import type { Budget, Governance } from '../../shared/api/remote';

const WINDOW_MS = 60_000;

/** A refusal by governance: nothing was sent upstream. */
export interface Refusal {
  reason: 'rate_limited' | 'budget_exceeded';
  message: string;
  /** seconds until a retry can succeed (rate limits), null when only a new period or a higher budget helps */
  retryAfterS: number | null;
}

interface Entry {
  at: number;
  tokens: number;
}

/**
 * Requests and tokens per minute per provider, over a sliding minute. A request reserves its estimated
 * tokens when admitted and settles them with the real usage when it ends, so a burst of long prompts is
 * held back before the upstream bills it.
 */
export class RateLimiter {
  private readonly windows = new Map<string, Entry[]>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Admits a request (returns a settle function) or refuses it with when to retry. */
  admit(provider: string, governance: Governance, estimatedTokens: number): { settle: (tokens: number) => void } | Refusal {
    const now = this.now();
    const entries = this.prune(provider, now);
    if (governance.rpm !== undefined && entries.length >= governance.rpm) {
      const wait = retryAfter(entries[entries.length - governance.rpm]!.at, now);
      return { reason: 'rate_limited', message: `Over ${governance.rpm} requests per minute for ${provider} (Switchyard's limit) — retry in ${wait} s.`, retryAfterS: wait };
    }
    if (governance.tpm !== undefined && estimatedTokens > governance.tpm) {
      return { reason: 'rate_limited', message: `This request may use ${estimatedTokens} tokens (its prompt and max_tokens), more than ${provider}'s limit of ${governance.tpm} tokens per minute — lower max_tokens or raise the limit.`, retryAfterS: null };
    }
    if (governance.tpm !== undefined && entries.length > 0) {
      const used = entries.reduce((n, e) => n + e.tokens, 0);
      if (used + estimatedTokens > governance.tpm) {
        // the wait until enough old tokens leave the window
        let freed = 0;
        let at = entries[0]!.at;
        for (const e of entries) {
          freed += e.tokens;
          at = e.at;
          if (used - freed + estimatedTokens <= governance.tpm) break;
        }
        const wait = retryAfter(at, now);
        return { reason: 'rate_limited', message: `Over ${governance.tpm} tokens per minute for ${provider} (Switchyard's limit) — retry in ${wait} s.`, retryAfterS: wait };
      }
    }
    const entry: Entry = { at: now, tokens: estimatedTokens };
    entries.push(entry);
    return { settle: (tokens) => void (entry.tokens = Math.max(tokens, 0)) };
  }

  forget(provider: string): void {
    this.windows.delete(provider);
  }

  private prune(provider: string, now: number): Entry[] {
    let entries = this.windows.get(provider);
    if (!entries) {
      entries = [];
      this.windows.set(provider, entries);
    }
    const since = now - WINDOW_MS;
    let drop = 0;
    while (drop < entries.length && entries[drop]!.at <= since) drop++;
    if (drop > 0) entries.splice(0, drop);
    return entries;
  }
}

function retryAfter(oldestAt: number, now: number): number {
  return Math.max(1, Math.ceil((oldestAt + WINDOW_MS - now) / 1000));
}

/** Completion tokens a request without its own `max_tokens` is reserved at (and capped to) by default. */
export const DEFAULT_REQUEST_TOKEN_CAP = 4096;

/**
 * Prompt tokens before the upstream says: about 4 characters per token of the messages (or prompt, or
 * input). The body's depth was bounded when it was parsed, so the serialization here cannot recurse far.
 */
export function estimatePromptOf(payload: Record<string, unknown>): number {
  return Math.ceil(JSON.stringify(payload.messages ?? payload.prompt ?? payload.input ?? '').length / 4);
}

/** The completion tokens a request may produce: its own `max_tokens` / `max_completion_tokens`, or null. */
export function requestedCap(payload: Record<string, unknown>): number | null {
  const cap = Number(payload.max_completion_tokens ?? payload.max_tokens ?? NaN);
  return Number.isFinite(cap) && cap > 0 ? Math.ceil(cap) : null;
}

/** The worst case of one request before the upstream says: prompt tokens from its size, plus the completion cap. */
export function worstCase(promptTokens: number, completionCap: number, price: Governance['price']): { tokens: number; usd: number } {
  return { tokens: promptTokens + completionCap, usd: costOf(price, promptTokens, completionCap) ?? 0 };
}

/** Cost in USD from usage and the user's prices (none are fetched); null without prices. */
export function costOf(price: Governance['price'], promptTokens: number, completionTokens: number): number | null {
  if (!price) return null;
  return (promptTokens * price.input_per_mtok + completionTokens * price.output_per_mtok) / 1e6;
}

/** The first day (UTC, `YYYY-MM-DD`) of the budget period that contains `now`. */
export function periodStart(period: Budget['period'], now: number): string {
  const day = new Date(now).toISOString().slice(0, 10);
  return period === 'day' ? day : `${day.slice(0, 7)}-01`;
}

export interface BudgetState {
  scope: 'provider' | 'global';
  level: 'soft' | 'hard';
  limit_usd: number;
  spent_usd: number;
  period: Budget['period'];
}

/** Which budget line a spend has crossed: the hard one wins over the soft one. */
export function budgetLevel(budget: Budget | undefined, spent: number): 'soft' | 'hard' | null {
  if (!budget) return null;
  if (budget.hard_usd !== undefined && spent >= budget.hard_usd) return 'hard';
  if (budget.soft_usd !== undefined && spent >= budget.soft_usd) return 'soft';
  return null;
}
