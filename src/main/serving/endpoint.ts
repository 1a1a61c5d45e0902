import { runtimeLabel } from '../../shared/runtimes';

/**
 * Where OpenAI-compatible requests for the active model go. A driver returns one when it activates a
 * model; the activation service holds it, and the proxy, `/v1/models` and the model test send to it.
 * Nothing here knows whether a process of ours answers there.
 */
export interface ServingEndpoint {
  /** local = a runtime Switchyard supervises; remote = process-less (a cluster, a cloud provider) */
  kind: 'local' | 'remote';
  /** 'huggingface' | 'ollama' | a remote provider id */
  provider: string;
  /** 'vllm' | 'ollama' | 'remote' */
  runtime: string;
  /**
   * The id the upstream serves (what its /v1/models lists). null only for a local runtime switched on
   * without a model (Ollama started from Runtimes): it serves whatever model a request names.
   */
  model: string | null;
  /** up to and including the version path, no trailing slash: http://127.0.0.1:8000/v1 */
  apiBase: string;
  /** auth to the upstream (vLLM's per-start key, a provider's key): sent, never logged or answered */
  headers: Record<string, string>;
  /** loopback → a plain http.request on a kept-alive agent (the hot path); net → NetClient (TLS, proxy, CA, offline) */
  transport: 'loopback' | 'net';
}

/** Who answers, as users read it: the runtime (vLLM, Ollama) or a remote endpoint's provider. */
export function endpointLabel(e: Pick<ServingEndpoint, 'kind' | 'provider' | 'runtime'>): string {
  return e.kind === 'remote' ? e.provider : runtimeLabel(e.runtime);
}

/** What answers and events may show of an endpoint: everything but its headers. */
export interface PublicEndpoint {
  kind: ServingEndpoint['kind'];
  provider: string;
  runtime: string;
  model: string | null;
  api_base: string;
  transport: ServingEndpoint['transport'];
}

export function publicEndpoint(e: ServingEndpoint): PublicEndpoint {
  return { kind: e.kind, provider: e.provider, runtime: e.runtime, model: e.model, api_base: e.apiBase, transport: e.transport };
}

/**
 * The transport a base URL takes: plain http to this machine (127.0.0.0/8, ::1, localhost) is the
 * loopback fast path; anything else (https, another host) goes through NetClient, so proxies, extra
 * CAs and offline mode apply to it as to every other request leaving the machine.
 */
export function transportFor(apiBase: string): ServingEndpoint['transport'] {
  const url = new URL(apiBase);
  if (url.protocol !== 'http:') return 'net';
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host) ? 'loopback' : 'net';
}

/** `apiBase` + `/chat/completions`, keeping whatever path the base has (`/v1`, `/openai/v1`, `/serving/v1`). */
export function endpointUrl(apiBase: string, path: string): string {
  return `${apiBase.replace(/\/+$/, '')}${path}`;
}
