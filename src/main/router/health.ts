import type { RouteHealth } from '../../shared/api/router';
import { errorMessage } from '../../shared/errors';
import type { Logger } from '../logger';
import { endpointUrl } from '../serving/endpoint';

const CHECK_TIMEOUT_MS = 5_000;
const UNKNOWN: RouteHealth = { status: 'unknown', last_check_at: null, latency_ms: null, error: null };

export interface HealthTarget {
  provider: string;
  apiBase: string;
  headers: Record<string, string>;
}

export interface HealthChecksOptions {
  /** the providers to check now: enabled, with a passing validation (their validated target) */
  targets: () => HealthTarget[];
  /** seconds between rounds; 0 = off */
  intervalSeconds: () => number;
  offline: () => boolean;
  /** NetClient's fetch (proxies, CAs, offline refusal) */
  fetch: typeof fetch;
  /** a provider's health changed (up ↔ down, or its first result): the routing table is rebuilt */
  onChange: (provider: string) => void;
  logger: Logger;
  now?: () => number;
  timeoutMs?: number;
}

/**
 * Background health checks of remote providers, LiteLLM-style: each enabled provider's cheap
 * `GET …/models` (never a billed completion) every `router.healthIntervalSeconds`, so a failing
 * upstream leaves the pool before a user's request fails. No connection, a timeout, a 5xx, or a
 * 401/403 (`auth_error`) is down; anything else answered (a 404 of an endpoint without a list, a 429)
 * shows the upstream is there. None offline.
 */
export class HealthChecks {
  private readonly results = new Map<string, RouteHealth>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private closed = false;
  private readonly now: () => number;

  constructor(private readonly options: HealthChecksOptions) {
    this.now = options.now ?? Date.now;
  }

  of(provider: string): RouteHealth {
    return this.results.get(provider) ?? UNKNOWN;
  }

  /** Starts (or re-times, after a settings change) the rounds. */
  schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const seconds = this.options.intervalSeconds();
    if (this.closed || seconds <= 0) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.round().finally(() => this.schedule());
    }, seconds * 1000);
    this.timer.unref();
  }

  /** One round now, over every target (a round in progress is joined). */
  round(): Promise<void> {
    if (this.running) return this.running;
    this.running = (async () => {
      if (this.options.offline()) return;
      const targets = this.options.targets();
      const ids = new Set(targets.map((t) => t.provider));
      for (const id of [...this.results.keys()]) if (!ids.has(id)) this.results.delete(id);
      await Promise.all(targets.map((t) => this.check(t)));
    })().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** Forgets a provider's result (it changed: its next check decides). */
  forget(provider: string): void {
    this.results.delete(provider);
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private async check(t: HealthTarget): Promise<void> {
    const started = performance.now();
    let error: string | null = null;
    try {
      const res = await this.options.fetch(endpointUrl(t.apiBase, '/models'), { headers: t.headers, redirect: 'manual', signal: AbortSignal.timeout(this.options.timeoutMs ?? CHECK_TIMEOUT_MS) });
      await res.body?.cancel().catch(() => {});
      if (res.status >= 500) error = `GET /models answered ${res.status}`;
      else if (res.status === 401 || res.status === 403) error = `auth_error: GET /models answered ${res.status} (the key was refused)`;
      else if (res.status >= 300 && res.status < 400) error = `GET /models answered a redirect (${res.status}): fix base_url`;
    } catch (e) {
      const name = (e as Error).name;
      error = name === 'TimeoutError' || name === 'AbortError' ? `no answer within ${(this.options.timeoutMs ?? CHECK_TIMEOUT_MS) / 1000} s` : connectionError(e);
    }
    if (this.closed) return;
    const latency = Math.round((performance.now() - started) * 10) / 10;
    const next: RouteHealth = { status: error ? 'down' : 'ok', last_check_at: new Date(this.now()).toISOString(), latency_ms: error ? null : latency, error };
    const previous = this.results.get(t.provider);
    this.results.set(t.provider, next);
    if (previous?.status !== next.status) {
      this.options.logger.info({ provider: t.provider, status: next.status, error }, 'remote provider health changed');
      this.options.onChange(t.provider);
    }
  }
}

function connectionError(e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ? `no connection (${cause.code})` : errorMessage(cause ?? e);
}
