import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from '@playwright/test';
import { shot } from './shots';
import { startExtraServe, type ExtraServe } from './serve';

const bin = fileURLToPath(new URL('../fixtures/bin', import.meta.url));
let app: ExtraServe;

// A machine where neither runtime is installed and nvidia-smi is missing: what a new user sees.
test.beforeAll(async () => {
  app = await startExtraServe((dataDir) => ({
    PATH: [dirname(process.execPath), '/usr/bin', '/bin'].join(':'),
    HOME: dataDir,
    SWITCHYARD_OFFLINE: '1',
    SWITCHYARD_NVIDIA_SMI_BIN: join(dataDir, 'no-nvidia-smi'),
    HF_HUB_CACHE: join(dataDir, 'hf-cache'),
    OLLAMA_MODELS: join(dataDir, 'ollama-models'),
  }));
});
test.afterAll(async () => {
  await app?.stop();
});

test('first run: install commands, a CPU note, Locate… and Check again', async ({ page }, testInfo) => {
  await page.goto(app.url);
  await page.getByTestId('nav-runtimes').click();
  const ollama = page.getByTestId('runtime-ollama');
  await expect(page.getByTestId('runtime-ollama-state')).toHaveText(/not installed/);
  await expect(ollama.getByTestId('runtime-ollama-install-command')).toHaveText('curl -fsSL https://ollama.com/install.sh | sh');
  await expect(page.getByTestId('runtime-vllm').getByTestId('runtime-vllm-install-command').first()).toHaveText('uv tool install vllm');
  await expect(page.getByTestId('runtimes-no-gpu')).toContainText('Ollama still runs models on the CPU');
  await expect(page.getByTestId('runtime-ollama-switch')).toBeDisabled();
  await expect(page.getByTestId('runtime-ollama-why')).toContainText('install Ollama first');
  await shot(page, testInfo, 'first-run');

  // a path that is not a program is refused, and said why
  await page.getByTestId('runtime-ollama-locate-path').fill(join(app.dataDir, 'switchyard.db'));
  await page.getByTestId('runtime-ollama-locate').click();
  await expect(page.getByTestId('runtime-ollama-setup-message')).toContainText('is not an executable file');

  // installed meanwhile into ~/.venv: "Check again" finds it
  mkdirSync(join(app.dataDir, '.venv', 'bin'), { recursive: true });
  writeFileSync(join(app.dataDir, '.venv', 'bin', 'ollama'), `#!/bin/sh\nexec '${join(bin, 'ollama')}' "$@"\n`, { mode: 0o755 });
  await page.getByTestId('runtime-ollama-recheck').click();
  await expect(page.getByTestId('runtime-ollama-state')).toHaveText('stopped');
  await expect(page.getByTestId('runtime-ollama-setup')).toHaveCount(0);
  await expect(page.getByTestId('runtime-ollama-switch')).toBeEnabled();

  // vLLM located by its path
  await page.getByTestId('runtime-vllm-locate-path').fill(join(bin, 'vllm'));
  await page.getByTestId('runtime-vllm-locate').click();
  await expect(page.getByTestId('runtime-vllm-state')).toHaveText('stopped');
  // no model installed for it yet: the button says so
  await expect(page.getByTestId('runtime-vllm-why')).toContainText('install a model for vLLM first');
  await shot(page, testInfo, 'first-run-found');
});
