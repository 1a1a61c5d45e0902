import type { RuntimeManager } from '../runtimes/manager';
import type { ServingEndpoint } from '../serving/endpoint';

/**
 * The endpoint of a local runtime while it serves, from the runtime manager's view of it: loopback
 * (the proxy's fast path) and the headers of this start (vLLM's per-start key).
 */
export function localEndpoint(serving: ReturnType<RuntimeManager['serving']>, provider: string, runtime: string): ServingEndpoint | null {
  if (serving.phase !== 'serving') return null;
  return { kind: 'local', provider, runtime, model: serving.model, apiBase: serving.apiBase, headers: serving.headers, transport: 'loopback' };
}
