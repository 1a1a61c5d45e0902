import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import type { InstallBody, InstallPlan, ModelRuntime } from '../../shared/api/models';
import type { RuntimeInfo } from '../../shared/api/runtimes';
import { AppError } from '../../shared/errors';
import { openDatabase } from '../db/database';
import type { InstallParams, ManifestHost, ModelDriver, PreparedInstall } from '../drivers/model-driver';
import { DriverRegistry } from '../drivers/serving-driver';
import { EventBus } from '../events';
import { createLogger } from '../logger';
import { OperationService } from '../operations/operation-service';
import { OperationsRepo } from '../operations/operations-repo';
import { ModelService } from './model-service';
import { ModelsRepo } from './models-repo';

function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

/**
 * A driver that knows nothing of files (as a remote endpoint's would): it records what the coordinator
 * asks of it, so these tests show which rules are the coordinator's whatever the provider.
 */
function fakeDriver(runtime: ModelRuntime) {
  const calls = { prepare: 0, install: [] as { name: string; params: InstallParams }[], remove: [] as string[] };
  const behaviour = {
    prepared: gate(),
    installing: gate(),
    download: null as PreparedInstall['download'],
    planRefusal: null as InstallPlan['refusal'],
    planBytes: null as number | null,
    removable: true,
  };
  behaviour.prepared.open();
  behaviour.installing.open();
  const driver = {
    runtime,
    provider: runtime === 'ollama' ? 'ollama' : 'huggingface',
    label: runtime,
    kind: 'local' as const,
    models: 'manifest' as const,
    localRuntime: runtime,
    requiresNetwork: true,
    installQueue: `q-${runtime}`,
    discovery: 'local',
    canonicalName: (name: string) => (name.includes(':') ? name : `${name}:latest`),
    plan: async (request: { name: string }): Promise<InstallPlan> => ({
      name: driver.canonicalName(request.name),
      provider: driver.provider,
      runtime,
      revision: 'latest',
      commit_sha: null,
      gated: false,
      files: [],
      quantizations: [],
      quantization: null,
      total_bytes: behaviour.planBytes,
      download_bytes: behaviour.planBytes,
      disk: { path: tmpdir(), total_bytes: 1e15, free_bytes: 1e14, free_after_bytes: null },
      refusal: behaviour.planRefusal,
    }),
    prepareInstall: async (body: InstallBody, host: ManifestHost): Promise<PreparedInstall> => {
      calls.prepare += 1;
      await behaviour.prepared.promise;
      const name = driver.canonicalName(body.name);
      host.checkNotBusy(name);
      return { name, params: { request: { ...body, name }, endpoint: 'https://example.invalid/v1' }, download: behaviour.download };
    },
    install: async (name: string, params: InstallParams, _ctx: unknown, host: ManifestHost): Promise<string> => {
      calls.install.push({ name, params });
      await behaviour.installing.promise;
      host.models.save({ name, provider: driver.provider, runtime, display_name: name, size_bytes: 0, status: 'installed', revision: 'latest', commit_sha: null, local_path: null, source: 'installed', capabilities: null, installed_at: new Date().toISOString() });
      host.changed();
      return `Recorded ${name}.`;
    },
    checkRemove: (model: { name: string }) => {
      if (!behaviour.removable) throw new AppError('runtime_not_ready', `${model.name} cannot be removed now.`);
    },
    remove: async (model: { name: string }) => {
      calls.remove.push(model.name);
      return `Forgot ${model.name}.`;
    },
    discover: async () => {},
    activate: async () => {
      throw new Error('not used');
    },
    endpoint: () => null,
    state: () => ({ phase: 'down' as const, model: null }),
    deactivate: async () => {},
    verify: async () => ({ ok: true, details: {} }),
  } satisfies ModelDriver;
  return { driver, calls, behaviour };
}

function registry(...drivers: ModelDriver[]): DriverRegistry {
  const r = new DriverRegistry();
  for (const d of drivers) r.register(d);
  return r;
}

function setup(maxStorageBytes: number | null = null) {
  const db = openDatabase(':memory:');
  const events = new EventBus();
  let changes = 0;
  events.on(() => changes++, ['models.changed']);
  const logger = createLogger({ level: 'silent' });
  const operations = new OperationService({ repo: new OperationsRepo(db), events, logger });
  const models = new ModelsRepo(db);
  const fake = fakeDriver('ollama');
  const other = fakeDriver('vllm');
  const stopped = { state: 'stopped', model: null, active: false, base_url: '' } as unknown as RuntimeInfo;
  const service = new ModelService({
    models,
    lifecycle: { serving: () => false, slotOf: () => null },
    checks: { validated: () => false, lastTest: () => null },
    operations,
    drivers: registry(fake.driver, other.driver),
    runtimes: { info: () => stopped },
    settings: { get: () => ({ downloads: { minFreePercent: 0, maxStorageBytes } }) } as never,
    events,
    logger,
  });
  return { service, operations, models, ...fake, changes: () => changes };
}

describe('ModelService over its drivers (rules that hold for every provider)', () => {
  it('answers identical installs with one operation, prepared or running, and refuses a different one', async () => {
    const { service, operations, calls, behaviour } = setup();
    behaviour.prepared = gate();
    behaviour.installing = gate();
    const first = service.install({ name: 'tiny', provider: 'ollama' });
    // the same model under its canonical name, while the first is still being prepared
    const second = service.install({ name: 'tiny:latest', provider: 'ollama' });
    await expect(service.install({ name: 'tiny', provider: 'ollama', quantization: 'Q4_K_M' })).rejects.toMatchObject({ code: 'conflict' });
    behaviour.prepared.open();
    const [a, b] = await Promise.all([first, second]);
    expect(b.operation_id).toBe(a.operation_id);
    expect(a).toMatchObject({ model_name: 'tiny:latest', provider: 'ollama', runtime: 'ollama' });
    // running now: the same request again is the same operation, no second preparation
    const third = await service.install({ name: 'tiny', provider: 'ollama' });
    expect(third.operation_id).toBe(a.operation_id);
    expect(calls.prepare).toBe(1);
    behaviour.installing.open();
    expect(await operations.wait(a.operation_id)).toMatchObject({ status: 'completed', message: 'Recorded tiny:latest.' });
    // the driver's resolved params are what the operation stored and ran with
    expect(calls.install).toEqual([{ name: 'tiny:latest', params: { request: { name: 'tiny:latest', provider: 'ollama' }, endpoint: 'https://example.invalid/v1' } }]);
    expect(service.get('tiny:latest').status).toBe('installed');
  });

  it('refuses an install over the quota before any operation exists', async () => {
    const { service, operations, calls, behaviour } = setup(1_000);
    behaviour.download = { bytes: 5_000, dir: tmpdir() };
    await expect(service.install({ name: 'tiny', provider: 'ollama' })).rejects.toMatchObject({ code: 'quota_exceeded' });
    expect(operations.list(10)).toEqual([]);
    expect(calls.install).toEqual([]);
    // no size known before it starts (a pull, an endpoint): no quota to apply
    behaviour.download = null;
    const op = await service.install({ name: 'tiny', provider: 'ollama' });
    expect((await operations.wait(op.operation_id)).status).toBe('completed');
  });

  it("plans: the driver's own refusal first, then the quota, then an open operation", async () => {
    const { service, behaviour } = setup(1_000);
    behaviour.planRefusal = { code: 'runtime_not_installed', message: 'no runtime' };
    behaviour.planBytes = 5_000;
    expect((await service.plan({ name: 'tiny', provider: 'ollama' })).refusal?.code).toBe('runtime_not_installed');
    behaviour.planRefusal = null;
    expect((await service.plan({ name: 'tiny', provider: 'ollama' })).refusal?.code).toBe('quota_exceeded');
    behaviour.planBytes = null;
    behaviour.installing = gate();
    const op = await service.install({ name: 'tiny', provider: 'ollama' });
    expect((await service.plan({ name: 'tiny', provider: 'ollama' })).refusal).toMatchObject({ code: 'conflict' });
    behaviour.installing.open();
    await expect(service.plan({ name: 'bad name', provider: 'ollama' })).rejects.toMatchObject({ code: 'invalid_name' });
    expect(op.model_name).toBe('tiny:latest');
  });

  it("removes through the driver, then drops the model from the manifest; the driver's refusal comes first", async () => {
    const { service, operations, models, calls, behaviour, changes } = setup();
    models.save({ name: 'tiny:latest', provider: 'ollama', runtime: 'ollama', display_name: 'tiny', size_bytes: 0, status: 'installed', revision: 'latest', commit_sha: null, local_path: null, source: 'installed', capabilities: null, installed_at: null });
    behaviour.removable = false;
    await expect(service.remove('tiny:latest')).rejects.toMatchObject({ code: 'runtime_not_ready' });
    expect(operations.list(10)).toEqual([]);
    behaviour.removable = true;
    const before = changes();
    expect(await service.remove('tiny:latest')).toMatchObject({ status: 'completed', message: 'Forgot tiny:latest.' });
    expect(calls.remove).toEqual(['tiny:latest']);
    expect(models.get('tiny:latest')).toBeNull();
    expect(changes()).toBeGreaterThan(before);
  });
});
