import { describe, expect, it } from 'vitest';
import type { DriverInfo } from '../../../../shared/api/runtimes';
import { Settings } from '../../../../shared/settings';
import { settingsSections } from './sections';

const driver = (runtime: string, path: string, title: string): DriverInfo => ({
  provider: runtime,
  runtime,
  label: title,
  kind: 'local',
  local_runtime: runtime,
  models: 'manifest',
  requires_model: false,
  launch_flags: false,
  requires_network: false,
  slots: ['chat'],
  settings: { path, title, about: `${title} about`, fields: { port: { label: `${title} port`, hint: null, env: 'PORT_ENV' } } },
});

describe('Settings sections', () => {
  const settings = Settings.parse({ runtimes: { koboldcpp: { port: 5001 } } });

  it('a runtime’s group, title and field texts are its driver’s; the others keep the screen’s own', () => {
    const sections = settingsSections(settings, [driver('vllm', 'vllm', 'vLLM'), driver('llamacpp', 'runtimes.llamacpp', 'llama.cpp')]);
    const paths = sections.map((s) => s.path);
    // in place of the `runtimes` group: the drivers' runtimes, then those stored for no driver
    expect(paths.slice(0, 4)).toEqual(['ollama', 'vllm', 'runtimes.llamacpp', 'runtimes.koboldcpp']);
    expect(paths).not.toContain('runtimes');
    const llama = sections.find((s) => s.path === 'runtimes.llamacpp')!;
    expect(llama).toMatchObject({ title: 'llama.cpp', about: 'llama.cpp about', values: { binary: null, host: '127.0.0.1', port: null, extraArgs: [] } });
    expect(llama.text('port')).toEqual({ label: 'llama.cpp port', hint: undefined });
    expect(llama.overrideSource('port')).toBe('PORT_ENV');
    expect(llama.patch('port', 8080)).toEqual({ runtimes: { llamacpp: { port: 8080 } } });
    expect(sections.find((s) => s.path === 'vllm')!.patch('port', 8001)).toEqual({ vllm: { port: 8001 } });
    expect(sections.find((s) => s.path === 'runtimes.koboldcpp')).toMatchObject({ title: 'Koboldcpp', about: null, values: { port: 5001 } });
    expect(sections.find((s) => s.path === 'hub')).toMatchObject({ title: 'Hugging Face Hub' });
  });
});
