import { expect, test } from '@playwright/test';
import { shot } from './shots';

const url = () => process.env.SWITCHYARD_E2E_URL!;

test('switch runtimes from the Runtimes screen and watch state and logs change', async ({ page }, testInfo) => {
  await page.goto(url());
  await page.getByTestId('nav-runtimes').click();
  const ollama = page.getByTestId('runtime-ollama');
  const vllm = page.getByTestId('runtime-vllm');
  await expect(page.getByTestId('runtime-ollama-state')).toHaveText(/stopped/);

  await ollama.getByTestId('runtime-ollama-switch').click();
  await expect(page.getByTestId('runtime-ollama-state')).toHaveText('ready');
  await expect(page.getByTestId('runtime-ollama-log')).toContainText('Listening on');

  await vllm.getByTestId('runtime-vllm-model-input').selectOption('acme/local-chat');
  await vllm.getByTestId('runtime-vllm-switch').click();
  await expect(page.getByTestId('runtime-vllm-state')).toHaveText('ready');
  await expect(page.getByTestId('runtime-vllm-model')).toHaveText('acme/local-chat');
  await expect(page.getByTestId('runtime-ollama-state')).toHaveText('stopped');
  await expect(page.getByTestId('runtime-vllm-log')).toContainText('Application startup complete');
  await shot(page, testInfo, 'runtimes');

  await vllm.getByTestId('runtime-vllm-stop').click();
  await expect(page.getByTestId('runtime-vllm-state')).toHaveText('stopped');
});

test('a runtime that fails to start shows why, with its log', async ({ page, request }) => {
  const api = process.env.SWITCHYARD_E2E_API!;
  const auth = { authorization: `Bearer ${process.env.SWITCHYARD_E2E_TOKEN}` };
  // An invalid engine argument, as a user could type into Settings › vLLM extra args.
  await request.patch(`${api}/api/v1/settings`, { headers: auth, data: { vllm: { extraArgs: ['--tensor-parallel-size', '0'] } } });
  try {
    await page.goto(url());
    await page.getByTestId('nav-runtimes').click();
    await page.getByTestId('runtime-vllm-model-input').selectOption('acme/local-chat');
    await page.getByTestId('runtime-vllm-switch').click();
    await expect(page.getByTestId('runtime-vllm-error')).toContainText('exited during start-up');
    await expect(page.getByTestId('runtime-vllm-state')).toHaveText('crashed');
  } finally {
    await request.patch(`${api}/api/v1/settings`, { headers: auth, data: { vllm: { extraArgs: [] } } });
  }
});
