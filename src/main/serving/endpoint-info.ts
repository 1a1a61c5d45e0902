import type { SavedDefault } from '../../shared/api/runtimes';
import type { ServingDriver } from '../drivers/serving-driver';
import type { RuntimeManager } from '../runtimes/manager';
import type { ActiveServing } from './active-serving';
import { publicEndpoint, type PublicEndpoint } from './endpoint';
import type { DefaultRoute } from './restore';

/** What `GET /api/v1/system/llm-runtime/active` and `llm-servers/active` say about the endpoint. */
export interface ActiveEndpointInfo {
  kind: ServingDriver['kind'] | null;
  provider: string | null;
  runtime: string | null;
  model: string | null;
  phase: 'serving' | 'starting' | 'unresponsive' | 'down' | null;
  /** null while nothing answers */
  endpoint: PublicEndpoint | null;
  /** the remote default as stored, and why it is not the default now when it is not */
  saved_default: SavedDefault | null;
}

/** `llm-servers/active`: the local runtime view, with the endpoint that serves the default route. */
export type ActiveRuntimeInfo = Omit<ReturnType<RuntimeManager['activeInfo']>, 'active_server'> & {
  active_server: string | null;
  endpoint: PublicEndpoint | null;
  phase: ActiveEndpointInfo['phase'];
};

/** The default route's driver as the API shows it (no secret of the endpoint: `publicEndpoint`). */
export function endpointInfo(active: ActiveServing, defaultRoute: DefaultRoute): ActiveEndpointInfo {
  const driver = active.driver();
  const saved_default = defaultRoute.info();
  if (!driver) return { kind: null, provider: null, runtime: null, model: null, phase: null, endpoint: null, saved_default };
  const state = driver.state();
  const endpoint = driver.endpoint();
  return { kind: driver.kind, provider: driver.provider, runtime: driver.runtime, model: state.model, phase: state.phase, endpoint: endpoint ? publicEndpoint(endpoint) : null, saved_default };
}

/** The local runtime view, or the process-less endpoint that serves instead. */
export function activeRuntimeInfo(active: ActiveServing, defaultRoute: DefaultRoute, runtimes: Pick<RuntimeManager, 'activeInfo'>): ActiveRuntimeInfo {
  const driver = active.driver();
  const local = runtimes.activeInfo();
  const { endpoint, phase, model } = endpointInfo(active, defaultRoute);
  if (driver && driver.localRuntime === null) return { ...local, active_server: driver.runtime, active_model: model, server: null, endpoint, phase };
  return { ...local, endpoint, phase };
}
