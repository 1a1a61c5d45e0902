import type { RuntimeInfo, RuntimeName } from '../shared/api/runtimes';
import { runtimeLabel } from '../shared/runtimes';
import type { Core } from './app';

/** Plain description of the tray menu; src/main/tray.ts turns it into an Electron Menu. */
export type TrayItem =
  | { kind: 'label'; label: string }
  | { kind: 'separator' }
  | { kind: 'radio'; label: string; checked: boolean; enabled: boolean; action: TrayAction }
  | { kind: 'action'; label: string; enabled: boolean; action: TrayAction }
  | { kind: 'submenu'; label: string; enabled: boolean; items: TrayItem[] };

export type TrayAction =
  | { type: 'switch'; runtime: RuntimeName; model?: string }
  | { type: 'off' }
  | { type: 'open' }
  | { type: 'quit' };

export interface TrayState {
  runtimes: RuntimeInfo[];
  /** installed models per runtime, for the model submenus */
  models?: Partial<Record<RuntimeName, string[]>>;
  /** a remote provider's model being served instead of a local runtime */
  remote?: { provider: string; model: string } | null;
  /** runtimes that cannot start without a model (a driver capability: vLLM's) */
  requiresModel?: readonly RuntimeName[];
  /** each runtime's name as users read it (its driver's label) */
  labels?: Partial<Record<RuntimeName, string>>;
  /** the embeddings slot's model, beside the chat slot's */
  embeddings?: { model: string; runtime: string } | null;
  /** remote routes answering now, of all remote routes */
  remoteRoutes?: { up: number; total: number };
}

const stateLabel: Record<RuntimeInfo['state'], string> = {
  not_installed: 'not installed',
  stopped: 'stopped',
  starting: 'starting…',
  ready: 'ready',
  unresponsive: 'not answering (restart it)',
  stopping: 'stopping…',
  crashed: 'crashed',
  external: 'running (external)',
};


/**
 * What the tray shows, read from the core: every runtime it supervises, each with its driver's label,
 * its `requiresModel` and its installed models. No runtime is named here.
 */
export function trayState(c: Pick<Core, 'models' | 'activation' | 'runtimes' | 'router' | 'drivers'>): TrayState {
  const models = c.models.list().filter((m) => m.status === 'installed' && m.validated);
  const endpoint = c.activation.endpoint();
  const runtimes = c.runtimes.list();
  const remoteRoutes = c.router.routes().filter((r) => r.target.kind === 'remote');
  const embeddings = c.activation.embeddings.current();
  const driverOf = (name: string) => c.drivers.byLocalRuntime(name);
  return {
    runtimes,
    remote: endpoint?.kind === 'remote' && endpoint.model ? { provider: endpoint.provider, model: endpoint.model } : null,
    models: Object.fromEntries(runtimes.map((r) => [r.name, models.filter((m) => m.runtime === r.name).map((m) => m.name)])),
    requiresModel: runtimes.filter((r) => driverOf(r.name)?.requiresModel).map((r) => r.name),
    labels: Object.fromEntries(runtimes.map((r) => [r.name, driverOf(r.name)?.label ?? runtimeLabel(r.name)])),
    embeddings: embeddings ? { model: embeddings.model, runtime: embeddings.driver.runtime } : null,
    remoteRoutes: { up: remoteRoutes.filter((r) => r.state === 'serving').length, total: remoteRoutes.length },
  };
}

/** Builds the tray menu from state: status line, runtime switch (each runtime / off), models, open, quit. */
export function buildTrayMenu(state: TrayState): TrayItem[] {
  const label = (runtime: string): string => state.labels?.[runtime] ?? runtimeLabel(runtime);
  const active = state.runtimes.find((r) => r.active) ?? null;
  const busy = state.runtimes.some((r) => r.state === 'starting' || r.state === 'stopping');
  const remote = state.remote ?? null;
  const status = remote
    ? `${remote.model} · ${remote.provider} (remote)`
    : active
      ? `${label(active.name)}${active.model ? ` · ${active.model}` : ''} — ${stateLabel[active.state]}`
      : 'No runtime active';
  const items: TrayItem[] = [{ kind: 'label', label: status }];
  if (state.embeddings) items.push({ kind: 'label', label: `Embeddings: ${state.embeddings.model} · ${label(state.embeddings.runtime)}` });
  if (state.remoteRoutes && state.remoteRoutes.total > 0) items.push({ kind: 'label', label: `Remote routes up: ${state.remoteRoutes.up} of ${state.remoteRoutes.total}` });
  items.push({ kind: 'separator' });
  for (const r of state.runtimes) {
    const installed = r.state !== 'not_installed';
    const models = state.models?.[r.name] ?? [];
    const needsModel = state.requiresModel?.includes(r.name) ?? false;
    const target = r.model ?? r.last_model ?? undefined;
    items.push({
      kind: 'radio',
      label: `${label(r.name)}${installed ? '' : ' (not installed)'}`,
      checked: r.active,
      enabled: installed && !busy && (!needsModel || target !== undefined),
      action: { type: 'switch', runtime: r.name, model: target },
    });
    if (installed && models.length > 0) {
      items.push({
        kind: 'submenu',
        label: `${label(r.name)} model`,
        enabled: !busy,
        items: models.map((m) => ({
          kind: 'radio' as const,
          label: m,
          checked: r.active && r.model === m,
          enabled: true,
          action: { type: 'switch' as const, runtime: r.name, model: m },
        })),
      });
    }
  }
  items.push(
    { kind: 'radio', label: 'Off', checked: active === null && remote === null, enabled: !busy && (active !== null || remote !== null), action: { type: 'off' } },
    { kind: 'separator' },
    { kind: 'action', label: 'Open Switchyard', enabled: true, action: { type: 'open' } },
    { kind: 'action', label: 'Quit', enabled: true, action: { type: 'quit' } },
  );
  return items;
}
