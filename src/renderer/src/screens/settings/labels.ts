/**
 * Titles and one-line explanations; a group or field missing here gets a title made from its name.
 * A runtime's group (`ollama`, `vllm`, `runtimes.<id>`) is described by its driver, not here.
 */
export const GROUP_TITLES: Record<string, { title: string; about?: string }> = {
  runtime: { title: 'Runtime supervision', about: 'How Switchyard starts, stops and restarts the runtimes.' },
  hub: { title: 'Hugging Face Hub', about: 'Where models are found and downloaded from, and the token for gated or private ones.' },
  downloads: { title: 'Downloads' },
  catalog: { title: 'Catalog', about: 'Where the model lists come from and how long they are kept.' },
  network: { title: 'Network', about: 'Proxy and connection settings for every call Switchyard makes.' },
  gpu: { title: 'GPU' },
  ui: { title: 'Desktop', about: 'The window, the tray and notifications.' },
  providers: { title: 'Remote providers', about: 'One budget over every remote provider (each provider has its own on the Providers screen). Costs use your prices.' },
  storage: { title: 'Storage', about: 'The disks holding the Hugging Face cache and Ollama’s models.' },
  router: { title: 'Router', about: 'One /v1 endpoint for every model by name: health checks of remote providers, loading local models on request, unloading idle ones.' },
};

export const FIELD_LABELS: Record<string, { label: string; hint?: string }> = {
  'providers.budgetSoftUsd': { label: 'Soft budget (USD)', hint: 'past it: a notification; empty: none' },
  'providers.budgetHardUsd': { label: 'Hard budget (USD)', hint: 'past it: remote requests are refused; empty: none' },
  'providers.budgetPeriod': { label: 'Budget period' },
  'storage.alertPercent': { label: 'Alert when a model disk is this full (%)', hint: 'once per crossing: a notification and a Dashboard banner' },
  'downloads.keepRevisions': { label: 'Snapshots kept per repo after an update', hint: 'the pinned and the served one are always kept' },
  'router.healthIntervalSeconds': { label: 'Health check interval (s)', hint: 'GET …/models of each enabled provider; 0: off' },
  'router.loadOnDemand': { label: 'Load models on demand', hint: 'a request naming an installed model loads it into its slot' },
  'router.idleUnloadMinutes': { label: 'Unload an idle model after (min)', hint: '0: never' },
  'router.loadTimeoutSeconds': { label: 'Longest wait for a load on demand (s)' },
  'runtime.stopGraceMs': { label: 'Stop grace period (ms)', hint: 'time to exit before it is killed' },
  'runtime.startTimeoutMs': { label: 'Start timeout (ms)' },
  'runtime.autoRestart': { label: 'Restart a crashed runtime' },
  'runtime.healthIntervalMs': { label: 'Health probe interval (ms)' },
  'runtime.healthMisses': { label: 'Missed probes before unresponsive' },
  'runtime.proxyHeadersTimeoutMs': { label: 'OpenAI endpoint: wait for an answer (ms)' },
  'runtime.proxyIdleTimeoutMs': { label: 'OpenAI endpoint: silence within an answer (ms)' },
  'runtime.maxAutoRestarts': { label: 'Restarts in a row before giving up' },
  'runtime.logMaxBytes': { label: 'Log file size limit (bytes)' },
  'hub.endpoint': { label: 'Hub endpoint (HF_ENDPOINT)', hint: 'https://huggingface.co, or a mirror' },
  'hub.home': { label: 'HF_HOME', hint: 'empty: ~/.cache/huggingface' },
  'hub.hubCache': { label: 'Model cache (HF_HUB_CACHE)', hint: 'empty: $HF_HOME/hub' },
  'downloads.concurrency': { label: 'Parallel file downloads' },
  'downloads.maxRetries': { label: 'Retries per file' },
  'downloads.minFreePercent': { label: 'Keep this much of the disk free (%)' },
  'downloads.maxStorageBytes': { label: 'Storage limit for models (bytes)', hint: 'empty: no limit' },
  'downloads.parallelThresholdBytes': { label: 'Split files from this size (bytes)' },
  'downloads.parallelParts': { label: 'Connections per large file' },
  'network.proxy': { label: 'Proxy', hint: 'http://proxy.example:3128 (HTTPS_PROXY / HTTP_PROXY win)' },
  'network.noProxy': { label: 'No proxy for', hint: 'comma-separated hosts, domains, CIDRs (NO_PROXY)' },
  'catalog.offline': { label: 'Offline mode', hint: 'use only cached and bundled lists' },
  'catalog.ttlMinutes': { label: 'Keep lists for (minutes)' },
  'catalog.connectTimeoutMs': { label: 'Connect timeout (ms)' },
  'catalog.ollamaLibraryUrl': { label: 'Ollama library URL' },
  'catalog.vllmRegistryUrl': { label: 'vLLM model registry URL', hint: 'read on a catalog refresh to learn the architectures vLLM runs' },
  'gpu.nvidiaSmiBinary': { label: 'nvidia-smi program', hint: 'a path, or a name found on PATH' },
  'gpu.sampleIntervalMs': { label: 'Sample interval (ms, applies on restart)' },
  'ui.closeToTray': { label: 'Closing the window keeps Switchyard in the tray' },
  'ui.minimizeToTray': { label: 'Minimizing hides the window to the tray' },
  'ui.notifications': { label: 'System notifications (installs, activations, crashes)' },
};

/** The env var or flag that wins over a stored setting, where one does. */
export const OVERRIDE_SOURCES: Record<string, string> = {
  'gpu.nvidiaSmiBinary': 'SWITCHYARD_NVIDIA_SMI_BIN',
  'catalog.offline': 'SWITCHYARD_OFFLINE or --offline',
  'catalog.ollamaLibraryUrl': 'SWITCHYARD_OLLAMA_LIBRARY_URL',
  'hub.endpoint': 'HF_ENDPOINT',
  'hub.token': 'HF_TOKEN',
  'hub.home': 'HF_HOME',
  'hub.hubCache': 'HF_HUB_CACHE',
  'network.proxy': 'HTTPS_PROXY / HTTP_PROXY / ALL_PROXY',
  'network.noProxy': 'NO_PROXY',
};

export function titleFromName(name: string): string {
  const words = name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/[_-]+/g, ' ').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}
