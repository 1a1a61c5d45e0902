import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from '@playwright/test';
import { freePort } from '../support/net';
import { shot } from './shots';
import { startExtraServe, type ExtraServe } from './serve';

const bin = fileURLToPath(new URL('../fixtures/bin', import.meta.url));
let app: ExtraServe;

// A machine where neither runtime is installed, nvidia-smi is missing and the Hub does not answer
// (nothing listens on its port): what a new user sees.
test.beforeAll(async () => {
  const deadHub = `http://127.0.0.1:${await freePort()}`;
  app = await startExtraServe((dataDir) => ({
    PATH: [dirname(process.execPath), '/usr/bin', '/bin'].join(':'),
    HOME: dataDir,
    HF_ENDPOINT: deadHub,
    SWITCHYARD_OLLAMA_LIBRARY_URL: deadHub,
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

test('without a GPU, Ollama models run on the CPU (with the RAM they need); vLLM ones say no GPU', async ({ page }, testInfo) => {
  const base = app.url.split('#')[0];
  await page.goto(app.url);
  await page.goto(`${base}#/catalog?model=${encodeURIComponent('nomic-embed-text:v1.5')}`);
  await expect(page.getByTestId('model-title')).toHaveText('nomic-embed-text:v1.5');
  await expect(page.getByTestId('model-fit-verdict')).toHaveAttribute('data-verdict', 'cpu');
  await expect(page.getByTestId('model-fit-note')).toContainText(/runs on the CPU with about [\d.]+ GiB of RAM of your [\d.]+ GiB/);
  await expect(page.getByTestId('model-ollama-ctx')).toContainText('num_ctx');
  // Ollama's driver gives its own command: the server, then the model by name (no vLLM flags)
  await expect(page.getByTestId('model-launch-flags')).toContainText('run nomic-embed-text:v1.5');
  await expect(page.getByTestId('model-fit-table')).toHaveCount(0);
  await expect(page.getByTestId('model-fit')).not.toContainText('gpu-memory-utilization');
  await shot(page, testInfo, 'model-ollama-cpu');

  // what-if on a vLLM model: a sentence, the context capped at the model's maximum, no API wording
  await page.goto(`${base}#/catalog?model=${encodeURIComponent('Qwen/Qwen3-0.6B')}`);
  await expect(page.getByTestId('model-fit-verdict')).toHaveAttribute('data-verdict', 'no_gpu');
  await expect(page.getByTestId('model-fit-note')).toContainText('Enter a GPU size below to check a card.');
  await expect(page.getByTestId('model-page')).not.toContainText('vram_gb');
  await page.getByTestId('model-vram').fill('24');
  await expect(page.getByTestId('model-fit-verdict')).toHaveAttribute('data-verdict', 'fits');
  await expect(page.getByTestId('model-fit-note')).toHaveText(/^What if: Fits on one 24 GiB GPU/);
  // the bundled list does not know this model's maximum: no six-digit guess, a bound instead
  await expect(page.getByTestId('model-max-context')).toHaveText('On one GPU, the longest context that fits is over 131,072 tokens.');
  await page.getByTestId('model-vram').fill('');

  // the catalog list: an Ollama model's badge says CPU, not "no GPU"
  await page.goto(`${base}#/catalog`);
  await page.getByTestId('catalog-source').selectOption('ollama');
  await page.getByTestId('catalog-search').fill('nomic');
  await expect(page.locator('[data-testid="catalog-row"][data-model="nomic-embed-text:v1.5"]').getByTestId('fit-badge')).toHaveText('runs on CPU');
});

test('the Hub does not answer: search shows local models with a notice, and the sidebar says so', async ({ page }) => {
  await page.goto(app.url);
  await page.getByTestId('nav-catalog').click();
  await expect(page.getByTestId('offline-indicator')).toHaveText(/online/);
  await page.getByTestId('catalog-search').fill('qwen3');
  await expect(page.getByTestId('catalog-hub-notice')).toContainText('The Hugging Face Hub did not answer');
  await expect(page.locator('[data-testid="catalog-row"][data-model="Qwen/Qwen3-8B"]')).toBeVisible();
  const indicator = page.getByTestId('offline-indicator');
  await expect(indicator).toHaveAttribute('data-hub', 'unreachable');
  await expect(indicator).toHaveText(/Hub unreachable/);
});
