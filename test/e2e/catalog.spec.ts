import { expect, test } from '@playwright/test';

/**
 * Catalog, model page with the fit estimate, trending and the offline indicator. Runs against the app
 * started by global-setup (SWITCHYARD_E2E_URL, with #token=) whose HF endpoint and Ollama library URL
 * are the fake hub serving test/fixtures/hub/catalog.mjs.
 */
const appUrl = () => {
  const url = process.env.SWITCHYARD_E2E_URL;
  if (!url) throw new Error('SWITCHYARD_E2E_URL is not set: run through playwright.config.ts (global-setup starts the app).');
  return url;
};

async function setOffline(offline: boolean) {
  const api = process.env.SWITCHYARD_E2E_API;
  const token = process.env.SWITCHYARD_E2E_TOKEN;
  if (!api || !token) return;
  await fetch(`${api}/api/v1/system/offline`, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ offline }) });
}

test.afterAll(async () => {
  await setOffline(false);
});

test('search the catalog, open a model, see the fit', async ({ page }) => {
  await page.goto(appUrl());
  await page.getByTestId('nav-catalog').click();
  await page.getByTestId('catalog-search').fill('qwen3 8b');
  const row = page.locator('[data-testid="catalog-row"][data-model="Qwen/Qwen3-8B"]');
  await expect(row).toBeVisible();
  await expect(row.getByTestId('fit-badge')).toBeVisible();
  await row.click();

  await expect(page.getByTestId('model-title')).toHaveText('Qwen/Qwen3-8B');
  await expect(page.getByTestId('model-fit')).toBeVisible();
  await page.getByTestId('model-vram').fill('24');
  await expect(page.getByTestId('model-fit-verdict')).toHaveAttribute('data-verdict', 'fits');
  await expect(page.getByTestId('model-fit-table')).toBeVisible();
  await expect(page.getByTestId('model-launch-flags')).toContainText('--max-model-len');
  await expect(page.getByTestId('model-max-context')).toHaveText('On one GPU, the longest context that fits is 33,280 tokens.');
  // a 0.6B model on the same card: capped at what the model takes, not millions of tokens
  await page.goto(`${appUrl().split('#')[0]}#/catalog?model=${encodeURIComponent('Qwen/Qwen3-0.6B')}`);
  await page.getByTestId('model-vram').fill('24');
  await expect(page.getByTestId('model-max-context')).toHaveText('On one GPU, the longest context that fits is 40,960 tokens (the model’s maximum).');

  // a 70B model on the same 24 GiB needs tensor parallelism
  await page.goto(`${appUrl().split('#')[0]}#/catalog?model=${encodeURIComponent('meta-llama/Llama-3.3-70B-Instruct')}`);
  await expect(page.getByTestId('model-title')).toHaveText('meta-llama/Llama-3.3-70B-Instruct');
  await page.getByTestId('model-vram').fill('24'); // a reload starts without the what-if size
  await expect(page.getByTestId('model-fit-verdict')).toHaveAttribute('data-verdict', 'needs_gpus');
  // the server says whether that runs on the GPUs asked about; the page shows its verdict as sent
  await expect(page.getByTestId('model-fit-verdict')).toHaveAttribute('data-runnable', 'false');
  await page.getByTestId('model-gpus').fill('8');
  await expect(page.getByTestId('model-fit-verdict')).toHaveAttribute('data-runnable', 'true');
  await expect(page.getByTestId('model-fit-verdict')).toHaveText('runs on 8 GPUs');
  await page.getByTestId('model-gpus').fill('');
  await page.getByTestId('model-back').click();
  await expect(page.getByTestId('catalog-list')).toBeVisible();
});

test('the catalog list is virtualized and filters by source', async ({ page }) => {
  await page.goto(appUrl());
  await page.getByTestId('nav-catalog').click();
  await page.getByTestId('catalog-search').fill('');
  await page.getByTestId('catalog-source').selectOption('ollama');
  await expect(page.getByTestId('catalog-row').first()).toBeVisible();
  const rendered = await page.getByTestId('catalog-row').count();
  const total = Number((await page.getByTestId('catalog-total').textContent())?.match(/\d+/)?.[0] ?? 0);
  expect(total).toBeGreaterThan(100);
  expect(rendered).toBeLessThan(total); // only the visible window is in the DOM
  const names = await page.getByTestId('catalog-row').evaluateAll((els) => els.map((e) => e.getAttribute('data-model') ?? ''));
  expect(names.every((n) => n.includes(':'))).toBe(true);
});

test('news links open outside the app; dates read as relative times, the full time on hover', async ({ page }) => {
  await page.goto(appUrl());
  await page.getByTestId('nav-news').click();
  const first = page.getByTestId('news-blog').getByTestId('news-item').first();
  await expect(first).toBeVisible();
  await expect(first.locator('a')).toHaveAttribute('target', '_blank');
  const when = first.locator('time');
  await expect(when).toHaveText(/ago|yesterday|just now|last/);
  expect(Date.parse((await when.getAttribute('datetime'))!)).not.toBeNaN();
  await expect(when).toHaveAttribute('title', /\d/);
});

test('go offline: trending is still there, marked stale', async ({ page }) => {
  await page.goto(appUrl());
  await page.getByTestId('nav-trending').click();
  await expect(page.getByTestId('trending-huggingface').getByTestId('trending-item').first()).toBeVisible();
  await expect(page.getByTestId('trending-ollama').getByTestId('trending-item').first()).toBeVisible();

  const indicator = page.getByTestId('offline-indicator');
  await expect(indicator).toHaveAttribute('data-offline', 'false');
  await indicator.click();
  await expect(indicator).toHaveAttribute('data-offline', 'true');

  await expect(page.getByTestId('trending-stale-huggingface')).toContainText('offline');
  await expect(page.getByTestId('trending-stale-ollama')).toBeVisible();
  await expect(page.getByTestId('trending-huggingface').getByTestId('trending-item').first()).toBeVisible();
  await expect(page.getByTestId('trending-refresh')).toBeDisabled();

  await indicator.click();
  await expect(indicator).toHaveAttribute('data-offline', 'false');
});

test('an installed model links to its fit, offline too (from its local config.json and files)', async ({ page }) => {
  test.skip(!process.env.SWITCHYARD_E2E_HUB, 'needs the fake Hugging Face Hub (test/fixtures/hub/server.mjs)');
  const api = process.env.SWITCHYARD_E2E_API!;
  const headers = { authorization: `Bearer ${process.env.SWITCHYARD_E2E_TOKEN}`, 'content-type': 'application/json' };
  const name = 'org/no-system-model';
  const started = await fetch(`${api}/api/v1/models/registry/install`, { method: 'POST', headers, body: JSON.stringify({ name, provider: 'huggingface' }) });
  expect(started.status).toBe(200);
  const { operation_id: id } = (await started.json()) as { operation_id: string };
  await expect
    .poll(async () => ((await (await fetch(`${api}/api/v1/models/operations/${id}`, { headers })).json()) as { operation: { status: string } }).operation.status)
    .toBe('completed');

  await setOffline(true); // its details were never fetched: the page must come from the installed copy
  await page.goto(appUrl());
  await page.getByTestId('nav-installed').click();
  await page.getByTestId(`installed-${name}`).getByTestId('installed-model-link').click();
  await expect(page.getByTestId('model-title')).toHaveText(name);
  await expect(page.getByTestId('model-fit')).toBeVisible();
  await page.getByTestId('model-vram').fill('24');
  await expect(page.getByTestId('model-fit-verdict')).toHaveAttribute('data-verdict', 'fits');
  await setOffline(false);
});
