import { expect, test } from '@playwright/test';
import { apiCall, shot } from './shots';

const url = () => process.env.SWITCHYARD_E2E_URL!;
const MODEL = 'org/mistral-style'; // on the fake Hub; installed by this spec only

test.afterAll(async () => {
  await apiCall('POST', '/api/v1/system/llm-servers/vllm/stop');
});

test('install to chat: the Install dialog ends with Activate and Open in Chat; the catalog then says Installed', async ({ page }, testInfo) => {
  test.skip(!process.env.SWITCHYARD_E2E_HUB, 'needs the fake Hugging Face Hub');
  await page.goto(url());
  await page.getByTestId('nav-installed').click();
  await page.getByTestId('install-name').fill(MODEL);
  await page.getByTestId('install-by-name').click();
  const dialog = page.getByRole('dialog', { name: `Install ${MODEL}` });
  await dialog.getByTestId('install-start').click();

  const next = dialog.getByTestId('next-step');
  await expect(next).toBeVisible({ timeout: 30_000 });
  await expect(next.getByTestId('installed-badge')).toHaveText('Installed');
  await expect(dialog.getByRole('button', { name: 'Close', exact: true })).toBeVisible();
  await shot(page, testInfo, 'install-done');
  await next.getByRole('button', { name: 'Activate' }).click();
  await expect(next.getByTestId('installed-badge')).toHaveText('Active', { timeout: 30_000 });

  await next.getByRole('button', { name: 'Open in Chat' }).click();
  await expect(dialog).toHaveCount(0);
  await expect(page.getByTestId('nav-chat')).toHaveAttribute('aria-current', 'page');
  await expect(page.getByTestId('chat-model-select')).toHaveValue(MODEL);
  await expect(page.getByTestId('chat-active-model')).toHaveText(`answering: ${MODEL}`);
  await page.getByTestId('chat-input').fill('Are you there?');
  await page.getByTestId('chat-send').click();
  await expect(page.getByTestId('chat-msg-assistant').last()).toContainText('Are you there?', { timeout: 20_000 });

  // the model page and the catalog row offer what comes next, not Install
  await page.evaluate((name) => (window.location.hash = `#/catalog?model=${encodeURIComponent(name)}`), MODEL);
  await expect(page.getByTestId('model-title')).toHaveText(MODEL);
  await expect(page.getByTestId('model-page').getByTestId('installed-badge')).toHaveText('Active');
  await expect(page.getByTestId('model-page').getByRole('button', { name: 'Open in Chat' })).toBeVisible();
  await expect(page.getByTestId('install-button')).toHaveCount(0);
  await page.getByTestId('model-back').click();
  await page.getByTestId('catalog-search').fill('mistral-style');
  const row = page.locator('.catalog-row-line', { has: page.locator(`[data-model="${MODEL}"]`) });
  await expect(row.getByTestId('installed-badge')).toHaveText('Active');
  await expect(row.getByRole('button', { name: 'Chat' })).toBeVisible();
});
