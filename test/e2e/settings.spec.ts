import { expect, test } from '@playwright/test';
import { settingsGroups } from '../../src/shared/settings';
import { apiCall, shot } from './shots';

const url = () => process.env.SWITCHYARD_E2E_URL!;
const vllmSetting = async (key: string) => ((await apiCall('GET', '/api/v1/settings')).settings as Record<string, Record<string, unknown>>).vllm![key];

test.afterAll(async () => {
  await apiCall('PATCH', '/api/v1/settings', { vllm: { gpuMemoryUtilization: null, dtype: null, extraArgs: [] }, hub: { token: null } });
});

test('every settings group is on screen; a bad value is refused at the field in a sentence, Escape puts back the saved one', async ({ page }, testInfo) => {
  await page.goto(url());
  await page.getByTestId('nav-settings').click();
  // `runtimes` holds the groups of runtimes without one of their own: one section per driver that has one (none here)
  for (const group of settingsGroups.filter((g) => g !== 'runtimes')) await expect(page.getByTestId(`settings-group-${group}`)).toBeVisible();
  // a runtime's section is its driver's: title, about text, field labels
  await expect(page.getByTestId('settings-group-vllm')).toContainText('Serves Hugging Face models on NVIDIA GPUs');
  await expect(page.getByTestId('setting-vllm-maxModelLen-row')).toContainText('Context length (--max-model-len)');
  for (const key of ['tensorParallelSize', 'dtype', 'quantization', 'extraArgs']) await expect(page.getByTestId(`setting-vllm-${key}`)).toBeVisible();
  await expect(page.getByTestId('setting-catalog-ollamaLibraryUrl')).toBeVisible();
  await expect(page.getByTestId('setting-catalog-vllmRegistryUrl')).toBeVisible();
  await expect(page.getByTestId('setting-gpu-nvidiaSmiBinary')).toBeVisible();

  // set by env in this run: shown, read-only, and saying which variable sets it
  await expect(page.getByTestId('setting-ollama-binary')).toBeDisabled();
  await expect(page.getByTestId('setting-ollama-binary-row')).toContainText('Locked: set by SWITCHYARD_OLLAMA_BIN');
  await expect(page.getByTestId('setting-hub-endpoint-row')).toContainText('Locked: set by HF_ENDPOINT');

  const share = page.getByTestId('setting-vllm-gpuMemoryUtilization');
  await share.fill('1.5');
  await share.press('Enter');
  await expect(page.getByTestId('setting-vllm-gpuMemoryUtilization-status')).toHaveText('Must be at most 1.');
  await expect(share).toHaveAttribute('aria-invalid', 'true');
  expect(await vllmSetting('gpuMemoryUtilization')).toBeNull();
  await shot(page, testInfo, 'settings-invalid');
  await share.press('Escape');
  await expect(share).toHaveValue('');
  await expect(page.getByTestId('setting-vllm-gpuMemoryUtilization-status')).toHaveText('');

  await share.fill('0.8');
  await share.press('Enter');
  await expect(page.getByTestId('setting-vllm-gpuMemoryUtilization-status')).toHaveText('✓ Saved');
  expect(await vllmSetting('gpuMemoryUtilization')).toBe(0.8);

  await page.getByTestId('setting-vllm-dtype').selectOption('bfloat16');
  await expect(page.getByTestId('setting-vllm-dtype-status')).toHaveText('✓ Saved');
  expect(await vllmSetting('dtype')).toBe('bfloat16');

  const args = page.getByTestId('setting-vllm-extraArgs');
  await args.fill('--enforce-eager\n--seed\n7');
  await args.press('Control+Enter');
  await expect(page.getByTestId('setting-vllm-extraArgs-status')).toHaveText('✓ Saved');
  expect(await vllmSetting('extraArgs')).toEqual(['--enforce-eager', '--seed', '7']);

  // leaving a field saves it too
  const tp = page.getByTestId('setting-vllm-tensorParallelSize');
  await tp.fill('0');
  await tp.blur();
  await expect(page.getByTestId('setting-vllm-tensorParallelSize-status')).toHaveText('Must be at least 1.');
  expect(await vllmSetting('tensorParallelSize')).toBeNull();
  await shot(page, testInfo, 'settings', { fullPage: false });
});

test('the Hugging Face token is write-only, shown masked with its source, and checked against the Hub', async ({ page }, testInfo) => {
  await page.goto(url());
  await page.getByTestId('nav-settings').click();
  const token = page.getByTestId('setting-hub-token');
  await expect(token).toHaveAttribute('type', 'password');
  await expect(page.getByTestId('setting-hub-token-source')).toContainText('No token');
  await expect(page.getByTestId('setting-hub-token-save')).toBeDisabled();

  await token.fill('hf_wrong_token_9999');
  await token.press('Enter');
  await expect(page.getByTestId('setting-hub-token-status')).toHaveText('✓ Saved');
  await expect(token).toHaveValue('');
  await expect(token).toHaveAttribute('placeholder', /…9999/);
  await expect(page.getByTestId('setting-hub-token-source')).toContainText('saved in Switchyard’s settings');
  await page.getByTestId('setting-hub-token-check').click();
  await expect(page.getByTestId('setting-hub-token-check-result')).toContainText('refused this token');

  await token.fill('hf_valid_token');
  await page.getByTestId('setting-hub-token-save').click();
  await expect(token).toHaveAttribute('placeholder', /…oken/);
  await page.getByTestId('setting-hub-token-check').click();
  await expect(page.getByTestId('setting-hub-token-check-result')).toContainText('signed in as switchyard-tester');
  await expect(page.locator('body')).not.toContainText('hf_valid_token');
  await page.getByTestId('settings-group-hub').scrollIntoViewIfNeeded();
  await shot(page, testInfo, 'settings-hub-token');

  await page.getByTestId('setting-hub-token-clear').click();
  await expect(page.getByTestId('setting-hub-token-source')).toContainText('No token');
});
