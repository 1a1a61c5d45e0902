/** The runtimes' names as users read them; a runtime not listed (a remote endpoint's) shows its own name. */
const LABELS: Record<string, string> = { vllm: 'vLLM', ollama: 'Ollama', remote: 'the remote endpoint' };

export function runtimeLabel(runtime: string): string {
  return LABELS[runtime] ?? runtime;
}

/**
 * "The runtime answers on its API": started by Switchyard and ready, or started by someone else and
 * adopted. `unresponsive` is not up: it stopped answering its health probe.
 */
export function isUp(state: string): state is 'ready' | 'external' {
  return state === 'ready' || state === 'external';
}
