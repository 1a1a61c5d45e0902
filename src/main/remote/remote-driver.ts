import { AppError } from '../../shared/errors';
import type { ActivateContext, DriverRegistry, EndpointState, ServedModel, ServingDriver } from '../drivers/serving-driver';
import type { EventBus } from '../events';
import type { ServingEndpoint } from '../serving/endpoint';
import type { RemoteProviders } from './provider-service';

/**
 * The serving side of one remote provider: process-less and file-less. Activating checks that the
 * provider's last validation is current, passed and knows the model, then hands the proxy its endpoint
 * (always `transport: 'net'`, so NetClient's offline refusal, proxies and CAs apply, even to a cluster on
 * this machine). Nothing starts and no local runtime stops, unless the activation service decides so.
 */
export class RemoteDriver implements ServingDriver {
  readonly runtime = 'remote';
  readonly kind = 'remote' as const;
  readonly models = 'provider' as const;
  readonly localRuntime = null;
  readonly requiresNetwork = true;
  private serving: string | null = null;

  constructor(
    readonly provider: string,
    private readonly providers: RemoteProviders,
  ) {}

  get label(): string {
    return this.provider;
  }

  async activate(model: ServedModel, _flags: unknown, ctx: ActivateContext): Promise<ServingEndpoint> {
    ctx.onLoading(`checking ${this.provider}'s last validation for ${model.name}`);
    this.check(model);
    this.serving = model.name;
    return this.endpoint()!;
  }

  /** Refuses what may not serve now: a disabled provider, one not validated since it changed, a model it did not list. */
  check(model: ServedModel): void {
    if (this.providers.find(this.provider)?.enabled === false) {
      throw new AppError('model_disabled', `${this.provider} is disabled, so nothing is routed to it — enable it (Providers, or PATCH /api/v1/remote-providers/${this.provider} {"enabled": true}).`);
    }
    this.providers.assertServable(this.provider, model.name);
  }

  /**
   * Where requests go: the configuration the last passing validation saw. A provider changed since
   * (PATCH of its base URL, headers or key) keeps its route, but the forwarder sends nothing to it
   * (409 `validation_stale`) and no key goes anywhere until a new validation passes.
   */
  endpoint(): ServingEndpoint | null {
    if (this.serving === null) return null;
    let base: string;
    let headers: Record<string, string> = {};
    try {
      ({ base, headers } = this.providers.servingTarget(this.provider));
    } catch {
      const row = this.providers.find(this.provider);
      if (!row) return null; // unregistered while serving: nothing answers any more
      base = row.base_url;
    }
    return { kind: 'remote', provider: this.provider, runtime: this.runtime, model: this.serving, apiBase: base, headers, transport: 'net' };
  }

  state(): EndpointState {
    return { phase: this.serving === null ? 'down' : 'serving', model: this.serving };
  }

  async deactivate(): Promise<void> {
    this.serving = null;
  }
}

/**
 * Keeps one registered driver per remote provider: those stored at start-up, then each one added or
 * removed (`providers.changed`). Returns the unsubscribe function.
 */
export function syncRemoteDrivers(providers: RemoteProviders, drivers: DriverRegistry, events: EventBus): () => void {
  const sync = () => {
    const ids = new Set(providers.ids());
    for (const id of ids) if (!drivers.byProvider(id)) drivers.register(new RemoteDriver(id, providers));
    for (const d of drivers.all()) if (d instanceof RemoteDriver && !ids.has(d.provider)) drivers.unregister(d.provider);
  };
  sync();
  return events.on(sync, ['providers.changed']);
}
