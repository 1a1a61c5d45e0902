// The model page's launch command comes from the driver of the model's runtime, built by the same
// function as the argv the supervisor runs: Settings over the fit, extra arguments last.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LaunchPreview } from '../../src/shared/api/runtimes';
import { vllmAdapter } from '../../src/main/runtimes/adapters';
import { startCatalogHub, type CatalogHub } from '../support/catalog-hub';
import { startTestCore, type TestCore } from '../support/core';
import { tempDir } from '../support/temp';

type Detail = { fit: { runtime_flags: Record<string, unknown> | null }; launch: LaunchPreview | null };
const LLAMA = 'meta-llama/Llama-3.1-8B-Instruct';

describe('launch command on a model page', () => {
  let hub: CatalogHub;
  let t: TestCore;
  beforeAll(async () => {
    hub = await startCatalogHub();
    t = await startTestCore({ env: { SWITCHYARD_OFFLINE: '0', HF_ENDPOINT: hub.url, SWITCHYARD_OLLAMA_LIBRARY_URL: hub.url } });
  });
  afterAll(async () => {
    await t?.close();
    await hub?.close();
  });

  const detail = async (name: string, query = '') => {
    const r = await t.call<Detail>('GET', `/api/v1/models/catalog/${encodeURIComponent(name)}${query}`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body;
  };
  /** what the supervisor would run for `model` with these (already layered) flags */
  const supervisorArgv = (model: string, flags: Record<string, unknown>) => {
    const settings = t.core.settings.get();
    const { args } = vllmAdapter.launch({ settings, model, env: {}, hfHubCache: tempDir('preview-'), overrides: flags });
    return [settings.vllm.binary!, ...args];
  };

  it('vLLM: `vllm serve <model>` with the fit’s flags, word for word the supervisor’s argv', async () => {
    const { fit, launch } = await detail(LLAMA, '?vram_gb=24');
    expect(fit.runtime_flags).toEqual({ gpu_memory_utilization: 0.9, max_model_len: 39936 });
    expect(launch).toMatchObject({ runtime: 'vllm', label: 'vLLM' });
    const [lines] = launch!.commands;
    expect(lines![0]).toBe(`${t.core.settings.get().vllm.binary} serve ${LLAMA}`);
    expect(lines).toContain('--max-model-len 39936');
    expect(lines).toContain(`--served-model-name ${LLAMA}`);
    expect(lines!.join(' ').split(' ')).toEqual(supervisorArgv(LLAMA, fit.runtime_flags!));
  });

  it('Settings win over the fit, as an activation layers them; extra arguments come last', async () => {
    await t.call('PATCH', '/api/v1/settings', { vllm: { gpuMemoryUtilization: 0.8, extraArgs: ['--enforce-eager'] } });
    try {
      const { fit, launch } = await detail(LLAMA, '?vram_gb=24');
      const [lines] = launch!.commands;
      expect(lines).toContain('--gpu-memory-utilization 0.8');
      expect(lines!.at(-1)).toBe('--enforce-eager');
      expect(lines!.join(' ').split(' ')).toEqual(supervisorArgv(LLAMA, { ...fit.runtime_flags, gpu_memory_utilization: 0.8 }));
    } finally {
      await t.call('PATCH', '/api/v1/settings', { vllm: { gpuMemoryUtilization: null, extraArgs: [] } });
    }
  });

  it('Ollama: its server as the supervisor starts it, then the model loaded by name', async () => {
    const { launch } = await detail('llama3.1:70b', '?vram_gb=24&gpus=2');
    const o = t.core.settings.get().ollama;
    expect(launch).toEqual({
      runtime: 'ollama',
      label: 'Ollama',
      commands: [[`OLLAMA_HOST=127.0.0.1:${o.port} ${o.binary} serve`], [`OLLAMA_HOST=127.0.0.1:${o.port} ${o.binary} run llama3.1:70b`]],
    });
  });
});
