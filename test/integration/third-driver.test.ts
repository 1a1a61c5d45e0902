// A third runtime and its driver, registered by this test only: no line of Switchyard names it, yet it is
// listed, checked as a runtime id, switched to by its capabilities (requiresModel, declared by its driver
// only: the supervisor asks the driver), shown in the tray, and given a Settings group in the common
// shape (`runtimes.llamacpp`) that its runtime starts from.
import { afterEach, describe, expect, it } from 'vitest';
import type { ActivateContext, EndpointState, ServedModel, ServingDriver } from '../../src/main/drivers/serving-driver';
import { ModelsRepo } from '../../src/main/models/models-repo';
import { ollamaAdapter, type RuntimeAdapter } from '../../src/main/runtimes/adapters';
import type { RuntimeManager } from '../../src/main/runtimes/manager';
import type { ServingEndpoint } from '../../src/main/serving/endpoint';
import { buildTrayMenu, trayState, type TrayItem } from '../../src/main/tray-menu';
import { freePort, OLLAMA_EMULATOR, startTestCore, type TestCore } from '../support/core';
import { runtimeGroup, type Settings } from '../../src/shared/settings';

let t: TestCore | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const ID = 'llamacpp';

/**
 * The third runtime: the Ollama emulator's program under another id and label, with no Settings group
 * of its own: its program and port are read from `runtimes.llamacpp`, the common shape (`port` there
 * wins over the one it picks by itself).
 */
function thirdRuntime(defaultPort: number): RuntimeAdapter {
  const endpoint = (s: Settings) => ({ host: runtimeGroup(s, ID).host, port: runtimeGroup(s, ID).port ?? defaultPort });
  return {
    ...ollamaAdapter,
    name: ID,
    displayName: 'llama.cpp server',
    settingsGroup: undefined,
    defaultBinary: 'llama-server',
    endpoint,
    launch: (ctx) => ollamaAdapter.launch({ ...ctx, settings: { ...ctx.settings, ollama: { ...ctx.settings.ollama, ...endpoint(ctx.settings) } } }),
  };
}

/** Its driver: serves installed models of its own through that runtime; `requiresModel` is the test's to set. */
class ThirdDriver implements ServingDriver {
  readonly provider = ID;
  readonly runtime = ID;
  readonly localRuntime = ID;
  readonly label = 'llama.cpp';
  readonly kind = 'local' as const;
  readonly models = 'manifest' as const;
  readonly requiresNetwork = false;
  readonly calls: string[] = [];

  constructor(
    private readonly runtimes: RuntimeManager,
    public requiresModel: boolean,
  ) {}

  async activate(model: ServedModel, _flags: unknown, _ctx: ActivateContext): Promise<ServingEndpoint> {
    this.calls.push(`activate ${model.name}`);
    // started with its model, as a runtime that serves one model per process is
    await this.runtimes.activate(ID, { model: model.name });
    this.runtimes.setModel(ID, model.name);
    return this.endpoint()!;
  }

  endpoint(): ServingEndpoint | null {
    const s = this.runtimes.serving(ID);
    return s.phase === 'serving' ? { kind: 'local', provider: ID, runtime: ID, model: s.model, apiBase: s.apiBase, headers: s.headers, transport: 'loopback' } : null;
  }

  state(): EndpointState {
    const s = this.runtimes.serving(ID);
    return { phase: s.phase, model: s.model };
  }

  async deactivate(): Promise<void> {
    this.calls.push('deactivate');
    this.runtimes.setModel(ID, null);
  }
}

const radio = (items: TrayItem[], label: string) => items.find((i): i is Extract<TrayItem, { kind: 'radio' }> => i.kind === 'radio' && i.label === label);

async function coreWithThird(requiresModel: boolean): Promise<{ t: TestCore; driver: ThirdDriver }> {
  const tc = await startTestCore({ seams: { extraRuntimes: [thirdRuntime(await freePort())] } });
  const driver = tc.core.activation.register(new ThirdDriver(tc.core.runtimes, requiresModel));
  // its program, located the way a user does it on first run: stored in its group of the common shape
  const located = await tc.call('PUT', `/api/v1/system/llm-servers/${ID}/binary`, { path: OLLAMA_EMULATOR });
  expect(located.status, JSON.stringify(located.body)).toBe(200);
  return { t: tc, driver };
}

/** An installed model of the third driver, as its install would leave it (files verified). */
function installThirdModel(tc: TestCore, name: string): void {
  const repo = new ModelsRepo(tc.core.db, (k) => tc.core.drivers.byProvider(k.provider) !== undefined);
  repo.save({ name, provider: ID, runtime: ID, display_name: name, size_bytes: 1024, status: 'installed', revision: null, commit_sha: null, local_path: null, source: 'installed', capabilities: null, installed_at: new Date().toISOString() });
  repo.addValidation(name, 'files', true, { files: 0 });
}

describe('a third driver, named by no code of Switchyard', () => {
  it('is a runtime id the API takes, lists with its capabilities, and refuses an id nobody registered', async () => {
    ({ t } = await coreWithThird(true));
    const servers = await t.call<{ servers: { name: string; state: string }[] }>('GET', '/api/v1/system/llm-servers');
    expect(servers.body.servers.map((s) => s.name)).toEqual(['ollama', 'vllm', ID]);
    const drivers = await t.call<{ drivers: Record<string, unknown>[] }>('GET', '/api/v1/system/drivers');
    expect(drivers.body.drivers.find((d) => d.provider === ID)).toEqual({
      provider: ID,
      runtime: ID,
      label: 'llama.cpp',
      kind: 'local',
      local_runtime: ID,
      models: 'manifest',
      requires_model: true,
      launch_flags: false,
      requires_network: false,
      slots: ['chat'],
      settings: {
        path: `runtimes.${ID}`,
        title: 'llama.cpp',
        about: null,
        fields: {
          binary: { label: 'llama.cpp program', hint: 'a path, or a name found on PATH', env: null },
          host: { label: 'Listen address', hint: null, env: null },
          port: { label: 'Port', hint: 'empty: the runtime’s default', env: null },
          extraArgs: { label: 'Extra arguments', hint: 'one argument per line', env: null },
        },
      },
    });
    // the built-in ones say the same through the same fields (vLLM needs a model, Ollama serves both slots)
    expect(drivers.body.drivers.filter((d) => d.local_runtime !== ID).map((d) => [d.local_runtime, d.requires_model, d.slots])).toEqual([
      ['vllm', true, ['chat']],
      ['ollama', false, ['chat', 'embeddings']],
    ]);
    expect((await t.call('GET', `/api/v1/system/llm-servers/${ID}/logs`)).status).toBe(200);

    const unknown = await t.call<{ error: { code: string; message: string } }>('POST', '/api/v1/system/llm-servers/koboldcpp/start');
    expect(unknown).toMatchObject({ status: 404, body: { error: { code: 'runtime_not_found', message: `No runtime "koboldcpp" in Switchyard. The runtimes are: vllm, ollama, ${ID}.` } } });
    installThirdModel(t, 'tinyllama-q4');
    const activate = await t.call<{ error: { code: string; message: string } }>('POST', '/api/v1/models/activate', { name: 'tinyllama-q4', runtime: 'koboldcpp' });
    expect(activate).toMatchObject({ status: 404, body: { error: { code: 'runtime_not_found', message: expect.stringContaining(ID) } } });
  });

  it('requiresModel from its driver: the tray waits for a model, a switch without one takes the last; its models are listed as its own', async () => {
    let driver: ThirdDriver;
    ({ t, driver } = await coreWithThird(true));
    installThirdModel(t, 'tinyllama-q4');
    expect((await t.call<{ models: { name: string; runtime: string }[] }>('GET', '/api/v1/models/registry')).body.models.filter((m) => m.runtime === ID).map((m) => m.name)).toEqual(['tinyllama-q4']);

    // never served yet: its radio waits for a model (its driver requires one), its model submenu lists it
    let menu = buildTrayMenu(trayState(t.core));
    expect(radio(menu, 'llama.cpp')).toMatchObject({ enabled: false, action: { type: 'switch', runtime: ID } });
    expect(menu.find((i) => i.kind === 'submenu' && i.label === 'llama.cpp model')).toMatchObject({ items: [{ label: 'tinyllama-q4', action: { type: 'switch', runtime: ID, model: 'tinyllama-q4' } }] });
    // a switch without a model, none served before: the runtime is not started bare
    const bare = await t.call<{ error: { code: string; message: string } }>('POST', `/api/v1/system/llm-servers/${ID}/start`);
    expect(bare).toMatchObject({ status: 400, body: { error: { code: 'bad_request', message: expect.stringMatching(/^llama\.cpp serves one model per process .*model_name/) } } });
    expect(driver.calls).toEqual([]);
    expect(t.core.runtimes.info(ID).state).toBe('stopped');
    // the runtime's own start (a restart goes straight to the supervisor) asks the driver too: its adapter
    // (Ollama's, spread above) declares nothing about models
    const restart = await t.call<{ error: { code: string; message: string } }>('POST', `/api/v1/system/llm-servers/${ID}/restart`);
    expect(restart).toMatchObject({ status: 400, body: { error: { code: 'bad_request', message: expect.stringMatching(/one model per process .*model_name/) } } });
    expect(t.core.runtimes.info(ID).state).toBe('stopped');

    const activated = await t.call('POST', '/api/v1/models/activate', { name: 'tinyllama-q4' });
    expect(activated.status, JSON.stringify(activated.body)).toBe(200);
    expect(activated.body).toMatchObject({ activation: { model: 'tinyllama-q4', runtime: ID, slot: 'chat' } });
    menu = buildTrayMenu(trayState(t.core));
    expect(menu[0]).toEqual({ kind: 'label', label: 'llama.cpp · tinyllama-q4 — ready' });
    await t.call('POST', '/api/v1/models/deactivate', { name: 'tinyllama-q4' });
    expect(radio(buildTrayMenu(trayState(t.core)), 'llama.cpp')).toMatchObject({ enabled: true, action: { type: 'switch', runtime: ID, model: 'tinyllama-q4' } });

    // the same switch now takes its last model, through the activation (the driver is asked to serve it)
    const again = await t.call('POST', `/api/v1/system/llm-servers/${ID}/start`);
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    expect(driver.calls).toEqual(['activate tinyllama-q4', 'deactivate', 'activate tinyllama-q4']);
    expect(t.core.activation.endpointInfo()).toMatchObject({ provider: ID, runtime: ID, model: 'tinyllama-q4', phase: 'serving' });
  });

  it('its runtime gets a Settings group in the common shape, from its driver, stored and validated with no code naming it', async () => {
    ({ t } = await coreWithThird(false));
    type SettingsBody = { settings: { runtimes: Record<string, unknown> } };
    const drivers = await t.call<{ drivers: { local_runtime: string | null; settings: { path: string; fields: Record<string, unknown> } | null }[] }>('GET', '/api/v1/system/drivers');
    // each local runtime's group as its driver describes it: the built-in ones keep their own groups and keys
    expect(drivers.body.drivers.filter((d) => d.local_runtime).map((d) => [d.local_runtime, d.settings?.path])).toEqual([
      ['vllm', 'vllm'],
      ['ollama', 'ollama'],
      [ID, `runtimes.${ID}`],
    ]);
    expect(drivers.body.drivers.find((d) => d.local_runtime === 'vllm')!.settings!.fields).toMatchObject({ binary: { label: 'vLLM program', env: 'SWITCHYARD_VLLM_BIN' }, maxModelLen: { label: 'Context length (--max-model-len)' } });
    expect(drivers.body.drivers.find((d) => d.local_runtime === null)).toBeUndefined();

    // the program located on first run is in its group; a patch of one field keeps the others
    let body = (await t.call<SettingsBody>('GET', '/api/v1/settings')).body;
    expect(body.settings.runtimes[ID]).toEqual({ binary: OLLAMA_EMULATOR, host: '127.0.0.1', port: null, extraArgs: [] });
    const port = await freePort();
    const patched = await t.call<SettingsBody>('PATCH', '/api/v1/settings', { runtimes: { [ID]: { port, extraArgs: ['--ctx-size', '4096'] } } });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.body.settings.runtimes[ID]).toEqual({ binary: OLLAMA_EMULATOR, host: '127.0.0.1', port, extraArgs: ['--ctx-size', '4096'] });

    // validated by the one common shape: nothing of a refused patch is stored
    for (const bad of [{ [ID]: { port: 70_000 } }, { [ID]: { colour: 'red' } }, { 'Not An Id': { port: 1 } }]) {
      const refused = await t.call<{ error: { code: string } }>('PATCH', '/api/v1/settings', { runtimes: bad });
      expect(refused, JSON.stringify(bad)).toMatchObject({ status: 400, body: { error: { code: 'validation_error' } } });
    }
    // an id no driver serves (yet) is kept as well, in the same shape
    await t.call('PATCH', '/api/v1/settings', { runtimes: { koboldcpp: { port: 5001 } } });
    body = (await t.call<SettingsBody>('GET', '/api/v1/settings')).body;
    expect(body.settings.runtimes).toEqual({ [ID]: { binary: OLLAMA_EMULATOR, host: '127.0.0.1', port, extraArgs: ['--ctx-size', '4096'] }, koboldcpp: { binary: null, host: '127.0.0.1', port: 5001, extraArgs: [] } });

    // and its runtime runs from there: the program located, on the port set
    const started = await t.call<{ server: { state: string; port: number; binary: string | null } }>('POST', `/api/v1/system/llm-servers/${ID}/start`);
    expect(started.status, JSON.stringify(started.body)).toBe(200);
    expect(started.body.server).toMatchObject({ state: 'ready', port });
  });

  it('without requiresModel, a switch starts its runtime bare and its driver is not asked to serve a model', async () => {
    let driver: ThirdDriver;
    ({ t, driver } = await coreWithThird(false));
    const started = await t.call<{ server: { name: string; state: string; model: string | null; active: boolean } }>('POST', `/api/v1/system/llm-servers/${ID}/start`);
    expect(started.status, JSON.stringify(started.body)).toBe(200);
    expect(started.body.server).toMatchObject({ name: ID, state: 'ready', model: null, active: true });
    expect(driver.calls).toEqual([]);
    expect(radio(buildTrayMenu(trayState(t.core)), 'llama.cpp')).toMatchObject({ enabled: true, checked: true });
  });
});
