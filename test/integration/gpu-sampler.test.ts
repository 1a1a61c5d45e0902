import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { GpuProcess, GpuSampleEvent, ModelsUsage } from '../../src/shared/api/system';
import type { AppEvent } from '../../src/shared/events';
import { groupMembers } from '../../src/main/runtimes/process-group';
import { FIXTURES, startTestCore, type TestCore } from '../support/core';
import { emulatorEvents } from '../support/emulator-state';

const BIN = join(FIXTURES, 'bin');
const fakeGpuPath = () => `${BIN}:${process.env.PATH}`;

async function until<T>(probe: () => T | undefined | null | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

const started = (stateFile: string, query: string) =>
  emulatorEvents(stateFile).filter((e) => e.event === 'started' && e.args?.some((a) => a.startsWith(query))).length;

let t: TestCore | null = null;
let dir = '';
afterEach(async () => {
  await t?.close();
  t = null;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('GPU sampler with the fake nvidia-smi on PATH', () => {
  it('samples through ONE long-lived nvidia-smi, keeps history and emits at most 1 event/s', async () => {
    dir = mkdtempSync(join(tmpdir(), 'gpu-test-'));
    const stateFile = join(dir, 'smi.jsonl');
    t = await startTestCore({ env: { PATH: fakeGpuPath(), EMU_GPU_COUNT: '2', EMU_STATE_FILE: stateFile }, seams: { gpu: { intervalMs: 100, appsIntervalMs: 60_000 } } });
    const core = t.core;
    const events: GpuSampleEvent[] = [];
    core.events.on((e: AppEvent) => e.type === 'gpu.sample' && events.push(e.sample), ['gpu.sample']);
    await until(() => core.gpu.history().length >= 20);

    expect(started(stateFile, '--query-gpu')).toBe(1);
    const res = await t.call<{ status: { available: boolean; reason: string | null }; current: { gpus: Record<string, unknown>[] }; history: unknown[] }>('GET', '/api/v1/system/gpus?history_s=60');
    expect(res.status).toBe(200);
    expect(res.body.status).toMatchObject({ available: true, reason: null });
    expect(res.body.current.gpus).toHaveLength(2);
    expect(res.body.current.gpus[0]).toMatchObject({ index: 0, name: 'NVIDIA GeForce RTX 4090', memory_total_mib: 24564, memory_used_mib: 1, utilization_percent: 0 });
    expect(res.body.history.length).toBeGreaterThanOrEqual(20);
    // about one event a second, never one per sample: consecutive events' samples lie ≥ 950 ms apart
    // (a bound on the samples' own clock, so a slow machine cannot break it)
    expect(events.length).toBeGreaterThanOrEqual(1);
    const stamps = events.map((e) => e.sample!.ts);
    for (let i = 1; i < stamps.length; i++) expect(stamps[i]! - stamps[i - 1]!).toBeGreaterThanOrEqual(950);
    expect(events.length).toBeLessThan(core.gpu.history().length / 2);
    expect(core.gpu.gpus()).toEqual([
      { index: 0, name: 'NVIDIA GeForce RTX 4090', memoryTotalMiB: 24564, memoryFreeMiB: 24563 },
      { index: 1, name: 'NVIDIA GeForce RTX 4090', memoryTotalMiB: 24564, memoryFreeMiB: 24563 },
    ]);

    const usage = await t.call<{ usage: ModelsUsage }>('GET', '/api/v1/models/usage');
    expect(usage.status).toBe(200);
    expect(usage.body.usage).toMatchObject({ vram_total_mb: 2 * 24564, vram_usage_mb: 2, gpu_usage_percent: 0, models_count: 0 });
    expect(usage.body.usage.memory_total_gb).toBeGreaterThan(0);
    expect(usage.body.usage.disks.map((d) => d.name)).toEqual(['data', 'hf_cache', 'ollama_models']);
  });

  it('attributes per-process VRAM to the runtime whose process group holds it', async () => {
    dir = mkdtempSync(join(tmpdir(), 'gpu-test-'));
    const procsFile = join(dir, 'procs.txt');
    writeFileSync(procsFile, '');
    t = await startTestCore({
      env: { PATH: fakeGpuPath(), EMU_GPU_PROCS: procsFile, EMU_START_DELAY_MS: '100' },
      seams: { gpu: { intervalMs: 100, appsIntervalMs: 150 } },
    });
    const core = t.core;
    const info = await core.runtimes.activate('vllm', { model: 'org/tiny' });
    const members = await until(() => {
      const m = groupMembers(info.pid!);
      return m.length >= 2 ? m : null;
    });
    // the engine-core child holds the weights, as with real vLLM; 4242 is somebody else's process
    const child = members.find((p) => p !== info.pid)!;
    writeFileSync(procsFile, `${child}:18000\n${info.pid}:400\n4242:1000\n`);
    const procs = await until(() => (core.gpu.processes().length === 3 ? core.gpu.processes() : null));
    const byPid = new Map<number, GpuProcess>(procs.map((p) => [p.pid, p]));
    expect(byPid.get(child)).toMatchObject({ runtime: 'vllm', model: 'org/tiny', used_mib: 18000, gpu_index: 0 });
    expect(byPid.get(info.pid!)).toMatchObject({ runtime: 'vllm', used_mib: 400 });
    expect(byPid.get(4242)).toMatchObject({ runtime: null, model: null, used_mib: 1000 });
    await until(() => core.gpu.current()?.gpus[0]?.memory_used_mib === 19401);

    const metrics = await t.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${t.token}` } });
    expect(metrics.body).toMatch(new RegExp(`switchyard_gpu_process_memory_used_bytes\\{pid="${child}",gpu="0",runtime="vllm",model="org/tiny"\\} ${18000 * 1024 * 1024}`));
    expect(metrics.body).toContain('switchyard_gpu_available 1');
  });

  it('restarts nvidia-smi with backoff when it dies', async () => {
    dir = mkdtempSync(join(tmpdir(), 'gpu-test-'));
    const stateFile = join(dir, 'smi.jsonl');
    t = await startTestCore({ env: { PATH: fakeGpuPath(), EMU_SMI_EXIT_AFTER_MS: '400', EMU_STATE_FILE: stateFile }, seams: { gpu: { intervalMs: 100, appsIntervalMs: 60_000 } } });
    await until(() => started(stateFile, '--query-gpu') >= 2, 8_000);
    expect(t.core.gpu.status().available).toBe(true);
  });
});

describe('GPU sampler without a GPU', () => {
  it('reports "no GPU detected" once when the driver is missing, and the rest of the API still works', async () => {
    dir = mkdtempSync(join(tmpdir(), 'gpu-test-'));
    const stateFile = join(dir, 'smi.jsonl');
    t = await startTestCore({ env: { PATH: fakeGpuPath(), EMU_NO_DRIVER: '1', EMU_STATE_FILE: stateFile }, seams: { gpu: { intervalMs: 100 } } });
    const core = t.core;
    await until(() => core.gpu.status().state === 'unavailable');
    await new Promise((r) => setTimeout(r, 500));
    expect(started(stateFile, '--query-gpu')).toBe(1); // no retry storm
    // systeminformation runs lspci/nvidia-smi from this process's PATH: the card is there, the driver is not
    const saved = { PATH: process.env.PATH, EMU_NO_DRIVER: process.env.EMU_NO_DRIVER };
    Object.assign(process.env, { PATH: fakeGpuPath(), EMU_NO_DRIVER: '1' });
    let res;
    try {
      res = await t.call<{ status: { available: boolean; reason: string }; current: unknown; history: unknown[]; controllers: Record<string, unknown>[] }>('GET', '/api/v1/system/gpus');
    } finally {
      process.env.PATH = saved.PATH;
      if (saved.EMU_NO_DRIVER === undefined) delete process.env.EMU_NO_DRIVER;
    }
    expect(res.body.controllers).toEqual([expect.objectContaining({ vendor: 'NVIDIA Corporation', model: 'AD102 [GeForce RTX 4090]', bus_address: '01:00.0' })]);
    expect(res.body.status.available).toBe(false);
    expect(res.body.status.reason).toMatch(/No NVIDIA GPU detected.*driver/);
    expect(res.body.current).toBeNull();
    expect(core.gpu.gpus()).toBeNull();
    const usage = await t.call<{ usage: ModelsUsage }>('GET', '/api/v1/models/usage');
    expect(usage.body.usage).toMatchObject({ gpu_usage_percent: null, vram_usage_mb: null, vram_total_mb: null, vram_usage_percent: null });
  });

  it('picks up a new nvidia-smi path from Settings without a restart of Switchyard', async () => {
    t = await startTestCore({ seams: { gpu: { intervalMs: 100 } } }); // the test PATH has no nvidia-smi
    await until(() => t!.core.gpu.status().state === 'unavailable');
    expect(t.core.gpu.status().reason).toMatch(/nvidia-smi was not found on PATH/);
    const res = await t.call('PATCH', '/api/v1/settings', { gpu: { nvidiaSmiBinary: join(BIN, 'nvidia-smi') } });
    expect(res.status).toBe(200);
    await until(() => t!.core.gpu.status().available);
    expect(t.core.gpu.current()?.gpus[0]?.name).toBe('NVIDIA GeForce RTX 4090');
  });

  it('reports "no GPU detected" when nvidia-smi does not exist', async () => {
    t = await startTestCore({ env: { SWITCHYARD_NVIDIA_SMI_BIN: '/nonexistent/nvidia-smi' } });
    await until(() => t!.core.gpu.status().state === 'unavailable');
    expect(t.core.gpu.status().reason).toMatch(/No NVIDIA GPU detected: \/nonexistent\/nvidia-smi is not an executable file/);
  });
});
