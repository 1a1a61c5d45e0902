import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OLLAMA_SERVICE_MODELS_DIR, ollamaModelsDir } from './models-dir';
import { tempDir } from '../../../../test/support/temp';

describe('ollamaModelsDir', () => {
  const home = tempDir('ollama-home-');
  const serviceOnly = (p: string) => p.startsWith(OLLAMA_SERVICE_MODELS_DIR);

  it('Settings / OLLAMA_MODELS first', () => {
    expect(ollamaModelsDir({ configured: '/data/ollama', env: { HOME: home }, external: true, exists: serviceOnly })).toBe('/data/ollama');
  });

  it('the systemd service folder for an Ollama started elsewhere when the user has none', () => {
    expect(ollamaModelsDir({ configured: null, env: { HOME: home }, external: true, exists: serviceOnly })).toBe(OLLAMA_SERVICE_MODELS_DIR);
    // an Ollama Switchyard starts uses ~/.ollama/models
    expect(ollamaModelsDir({ configured: null, env: { HOME: home }, external: false, exists: serviceOnly })).toBe(join(home, '.ollama', 'models'));
  });

  it("the user's own folder when it holds models", () => {
    mkdirSync(join(home, '.ollama', 'models', 'manifests', 'registry.ollama.ai'), { recursive: true });
    expect(ollamaModelsDir({ configured: null, env: { HOME: home }, external: true, exists: (p) => serviceOnly(p) || p.startsWith(home) })).toBe(join(home, '.ollama', 'models'));
  });
});
