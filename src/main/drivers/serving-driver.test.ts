import { describe, expect, it } from 'vitest';
import { RuntimeName } from '../../shared/api/runtimes';
import { isAppError } from '../../shared/errors';
import { describeDriver, DriverRegistry, type ServingDriver } from './serving-driver';

const driver = (provider: string, localRuntime: string | null, caps: Partial<ServingDriver> = {}): ServingDriver => ({
  provider,
  runtime: localRuntime ?? 'remote',
  label: provider,
  kind: localRuntime ? 'local' : 'remote',
  requiresNetwork: localRuntime === null,
  models: localRuntime ? 'manifest' : 'provider',
  localRuntime,
  activate: () => Promise.reject(new Error('not here')),
  endpoint: () => null,
  state: () => ({ phase: 'down', model: null }),
  deactivate: () => Promise.resolve(),
  ...caps,
});

describe('runtime ids and the driver registry', () => {
  it('a runtime id is any short lowercase name, not a closed list', () => {
    for (const ok of ['vllm', 'ollama', 'llamacpp', 'sglang', 'tgi-2', 'mlx_lm']) expect(RuntimeName.safeParse(ok).success, ok).toBe(true);
    for (const bad of ['', 'vLLM', '2vllm', 'llama cpp', 'a/b', '../x', 'x'.repeat(33)]) expect(RuntimeName.safeParse(bad).success, bad).toBe(false);
  });

  it('knows the local runtimes its drivers serve through; any other id is runtime_not_found, naming them', () => {
    const registry = new DriverRegistry();
    const third = registry.register(driver('llamacpp', 'llamacpp', { requiresModel: true }));
    registry.register(driver('ollama', 'ollama', { slots: ['chat', 'embeddings'] }));
    registry.register(driver('cloud', null));
    expect(registry.localRuntimes()).toEqual(['llamacpp', 'ollama']);
    expect(registry.requireLocalRuntime('llamacpp')).toBe(third);
    let error: unknown;
    try {
      registry.requireLocalRuntime('remote');
    } catch (e) {
      error = e;
    }
    expect(isAppError(error) && error.code).toBe('runtime_not_found');
    expect((error as Error).message).toBe('No runtime "remote" in Switchyard. The runtimes are: llamacpp, ollama.');
    registry.unregister('llamacpp');
    expect(() => registry.requireLocalRuntime('llamacpp')).toThrow('The runtimes are: ollama.');
  });

  it('describes a driver by its capabilities, with their defaults', () => {
    expect(describeDriver(driver('llamacpp', 'llamacpp', { requiresModel: true, launchFlags: true }))).toEqual({
      provider: 'llamacpp',
      runtime: 'llamacpp',
      label: 'llamacpp',
      kind: 'local',
      local_runtime: 'llamacpp',
      models: 'manifest',
      requires_model: true,
      launch_flags: true,
      requires_network: false,
      slots: ['chat'],
      settings: null,
    });
    expect(describeDriver(driver('cloud', null))).toMatchObject({ local_runtime: null, requires_model: false, launch_flags: false, requires_network: true, slots: ['chat'], settings: null });
  });

  it('describes its runtime’s Settings group: a text for each field of the group, its own over the common ones', () => {
    const generic = describeDriver(driver('llamacpp', 'llamacpp'), { path: 'runtimes.llamacpp', binaryEnv: null }).settings;
    expect(generic).toEqual({
      path: 'runtimes.llamacpp',
      title: 'llamacpp',
      about: null,
      fields: {
        binary: { label: 'llamacpp program', hint: 'a path, or a name found on PATH', env: null },
        host: { label: 'Listen address', hint: null, env: null },
        port: { label: 'Port', hint: 'empty: the runtime’s default', env: null },
        extraArgs: { label: 'Extra arguments', hint: 'one argument per line', env: null },
      },
    });
    const own = { ...driver('llamacpp', 'llamacpp'), settingsText: { about: 'GGUF on the CPU.', fields: { port: { label: 'HTTP port' }, nowhere: { label: 'not a field of the group' } } } };
    const described = describeDriver(own, { path: 'runtimes.llamacpp', binaryEnv: 'LLAMA_BIN' }).settings!;
    expect(described.about).toBe('GGUF on the CPU.');
    expect(described.fields.port).toEqual({ label: 'HTTP port', hint: null, env: null });
    expect(described.fields.binary!.env).toBe('LLAMA_BIN');
    expect(described.fields).not.toHaveProperty('nowhere');
  });
});
