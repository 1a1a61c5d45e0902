import type { Db } from '../db/database';
import type { EventBus } from '../events';
import type { Logger } from '../logger';
import type { SecretStore } from '../secrets';
import type { SettingsService } from '../config';
import { Budgets, globalBudgetOf } from './budgets';
import { RateLimiter } from './governance';
import { ProviderRepo } from './provider-repo';
import { RemoteProviders } from './provider-service';
import { remoteTest } from './remote-test';
import type { RemoteTestResult } from '../../shared/api/remote';
import { AppError } from '../../shared/errors';
import type { SelfAddresses } from '../net/destinations';

export interface RemoteOptions {
  db: Db;
  secrets: SecretStore;
  settings: SettingsService;
  events: EventBus;
  logger: Logger;
  env: Record<string, string | undefined>;
  /** NetClient's fetch: every call to a remote goes through it (offline refusal, TLS, proxies) */
  fetch: typeof fetch;
  active: () => { provider: string; model: string } | null;
  onRemoved?: (provider: string) => Promise<void> | void;
  validationTimeoutMs?: number;
  now?: () => number;
  self?: SelfAddresses;
}

/** The remote-provider module as the core holds it: the registry, budgets, the rate limiter, the test prompt. */
export interface Remote {
  readonly providers: RemoteProviders;
  readonly repo: ProviderRepo;
  readonly budgets: Budgets;
  readonly limiter: RateLimiter;
  test(id: string, model: string, kind: 'chat' | 'embedding', prompt: string): Promise<RemoteTestResult>;
}

export function createRemote(options: RemoteOptions): Remote {
  const repo = new ProviderRepo(options.db);
  const offline = () => options.settings.get().catalog.offline;
  const budgets = new Budgets({ repo, events: options.events, globalBudget: () => globalBudgetOf(options.settings.get().providers), now: options.now });
  const providers = new RemoteProviders({
    repo,
    secrets: options.secrets,
    budgets,
    events: options.events,
    logger: options.logger,
    env: options.env,
    offline,
    fetch: options.fetch,
    active: options.active,
    onRemoved: options.onRemoved,
    validationTimeoutMs: options.validationTimeoutMs,
    now: options.now,
    self: options.self,
  });
  return {
    providers,
    repo,
    budgets,
    limiter: new RateLimiter(options.now),
    test: (id, model, kind, prompt) => {
      if (offline()) return Promise.reject(new AppError('offline', `Offline mode is on, so ${id} was not contacted — turn it off to send a test prompt.`));
      return remoteTest({ target: providers.assertServable(id, model), model, kind, prompt, fetch: options.fetch, budgets, timeoutMs: options.validationTimeoutMs ?? 120_000 });
    },
  };
}
