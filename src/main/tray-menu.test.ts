import { describe, expect, it } from 'vitest';
import type { RuntimeInfo } from '../shared/api/runtimes';
import { buildTrayMenu, type TrayItem } from './tray-menu';

const base = (over: Partial<RuntimeInfo>): RuntimeInfo => ({
  name: 'ollama',
  state: 'stopped',
  active: false,
  owned: false,
  pid: null,
  host: '127.0.0.1',
  port: 11434,
  base_url: 'http://127.0.0.1:11434',
  version: null,
  binary: '/usr/bin/ollama',
  model: null,
  last_model: null,
  started_at: null,
  restarts: 0,
  last_error: null,
  ...over,
});

const radios = (items: TrayItem[]) => items.filter((i): i is Extract<TrayItem, { kind: 'radio' }> => i.kind === 'radio');

describe('tray menu', () => {
  it('shows the active runtime and model in the status line and checks it', () => {
    const menu = buildTrayMenu({
      runtimes: [base({}), base({ name: 'vllm', state: 'ready', active: true, model: 'Qwen/Qwen3-0.6B', port: 8000 })],
    });
    expect(menu[0]).toEqual({ kind: 'label', label: 'vLLM · Qwen/Qwen3-0.6B — ready' });
    const r = radios(menu);
    expect(r.map((i) => [i.label, i.checked])).toEqual([
      ['Ollama', false],
      ['vLLM', true],
      ['Off', false],
    ]);
    expect(r[1]!.action).toEqual({ type: 'switch', runtime: 'vllm', model: 'Qwen/Qwen3-0.6B' });
  });

  it('shows the embeddings slot and how many remote routes are up', () => {
    const menu = buildTrayMenu({
      runtimes: [base({ state: 'ready' }), base({ name: 'vllm', state: 'ready', active: true, model: 'Qwen/Qwen3-0.6B', port: 8000 })],
      embeddings: { model: 'nomic-embed-text:latest', runtime: 'ollama' },
      remoteRoutes: { up: 2, total: 3 },
    });
    expect(menu.slice(0, 4)).toEqual([
      { kind: 'label', label: 'vLLM · Qwen/Qwen3-0.6B — ready' },
      { kind: 'label', label: 'Embeddings: nomic-embed-text:latest · Ollama' },
      { kind: 'label', label: 'Remote routes up: 2 of 3' },
      { kind: 'separator' },
    ]);
  });

  it('says when nothing is active, with Off checked and disabled', () => {
    const menu = buildTrayMenu({ runtimes: [base({}), base({ name: 'vllm' })] });
    expect(menu[0]).toEqual({ kind: 'label', label: 'No runtime active' });
    const off = radios(menu).find((i) => i.label === 'Off')!;
    expect(off).toMatchObject({ checked: true, enabled: false });
  });

  it('shows a remote model being served, with Off enabled to stop serving it', () => {
    const menu = buildTrayMenu({ runtimes: [base({}), base({ name: 'vllm', state: 'ready', model: 'org/tiny' })], remote: { provider: 'openai', model: 'gpt-4o-mini' } });
    expect(menu[0]).toEqual({ kind: 'label', label: 'gpt-4o-mini · openai (remote)' });
    expect(radios(menu).find((i) => i.label === 'Off')).toMatchObject({ checked: false, enabled: true, action: { type: 'off' } });
  });

  it('disables vLLM until a model is known, and runtimes that are not installed', () => {
    const menu = buildTrayMenu({ runtimes: [base({ state: 'not_installed', binary: null }), base({ name: 'vllm' })], requiresModel: ['vllm'] });
    const [ollama, vllm] = radios(menu);
    expect(ollama).toMatchObject({ label: 'Ollama (not installed)', enabled: false });
    expect(vllm).toMatchObject({ enabled: false });
    const withLast = radios(buildTrayMenu({ runtimes: [base({}), base({ name: 'vllm', last_model: 'a/b' })], requiresModel: ['vllm'] }))[1]!;
    expect(withLast).toMatchObject({ enabled: true, action: { type: 'switch', runtime: 'vllm', model: 'a/b' } });
  });

  it('freezes switching while a runtime is starting or stopping', () => {
    const menu = buildTrayMenu({ runtimes: [base({ state: 'starting', active: true }), base({ name: 'vllm', last_model: 'a/b' })] });
    expect(radios(menu).every((i) => !i.enabled)).toBe(true);
    expect(menu.at(-1)).toEqual({ kind: 'action', label: 'Quit', enabled: true, action: { type: 'quit' } });
  });

  it('lists installed models of a runtime in a submenu', () => {
    const menu = buildTrayMenu({ runtimes: [base({ active: true, state: 'ready', model: 'llama3.2:1b' })], models: { ollama: ['llama3.2:1b', 'qwen2.5:0.5b'] } });
    const sub = menu.find((i) => i.kind === 'submenu');
    expect(sub).toMatchObject({ label: 'Ollama model' });
    expect(radios((sub as Extract<TrayItem, { kind: 'submenu' }>).items).map((i) => [i.label, i.checked])).toEqual([
      ['llama3.2:1b', true],
      ['qwen2.5:0.5b', false],
    ]);
  });
});
