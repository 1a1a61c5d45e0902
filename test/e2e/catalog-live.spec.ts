import { expect, test, type Request } from '@playwright/test';
import { apiCall, shot } from './shots';

const url = () => process.env.SWITCHYARD_E2E_URL!;

// the search test ends in offline mode; the next tests need the Hub
test.afterEach(async () => {
  await apiCall('PUT', '/api/v1/system/offline', { offline: false });
});

test('live Hub search: a newer search cancels the one in flight; results merge with local ones, in the order picked', async ({ page }, testInfo) => {
  test.skip(!process.env.SWITCHYARD_E2E_HUB, 'needs the fake Hugging Face Hub');
  await page.goto(url());
  await page.getByTestId('nav-catalog').click();

  // hold the first Hub search, as a slow Hub would
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  await page.route(/\/api\/v1\/models\/providers\?.*q=qwen/, async (route) => {
    await held;
    await route.continue().catch(() => {}); // the page may have cancelled it meanwhile
  });
  const aborted = page.waitForEvent('requestfailed', (r: Request) => /providers\?.*q=qwen/.test(r.url()));
  const first = page.waitForRequest(/providers\?.*q=qwen/);
  await page.getByTestId('catalog-search').fill('qwen');
  await first;
  const second = page.waitForResponse(/providers\?.*q=exotic/);
  await page.getByTestId('catalog-search').fill('exotic');
  expect((await aborted).failure()?.errorText).toMatch(/abort/i);
  await second;
  release();
  await expect(page.locator('[data-testid="catalog-row"][data-model="acme/exotic-arch-7b"]')).toBeVisible();
  await expect(page.locator('[data-testid="catalog-row"][data-model^="Qwen/"]')).toHaveCount(0);

  // sorted by likes: the Hub is asked for that order and the merged list follows it
  await page.getByTestId('catalog-search').fill('llama');
  const byLikes = page.waitForRequest(/providers\?.*q=llama.*sort=likes/);
  await page.getByTestId('catalog-sort').selectOption('likes');
  await byLikes;
  await expect(page.locator('[data-testid="catalog-row"][data-model="meta-llama/Llama-3.1-8B-Instruct"]')).toBeVisible();
  const counts = await page.getByTestId('catalog-row').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-count') || -1)));
  expect(counts.length).toBeGreaterThan(1);
  expect(counts).toEqual([...counts].sort((a, b) => b - a));

  // GGUF filter: the Hub's GGUF repos
  const gguf = page.waitForRequest(/providers\?.*filter=gguf/);
  await page.getByTestId('catalog-runtime').selectOption('ollama');
  await gguf;
  await expect(page.locator('[data-testid="catalog-row"][data-model="bartowski/Llama-3.1-8B-Instruct-GGUF"]')).toBeVisible();
  await shot(page, testInfo, 'catalog-search');
  await page.getByTestId('catalog-runtime').selectOption('');

  // offline mode: local results only, and a notice that says so
  await page.getByTestId('offline-indicator').click();
  await expect(page.getByTestId('offline-indicator')).toHaveAttribute('data-offline', 'true');
  await expect(page.getByTestId('catalog-hub-notice')).toContainText('Offline mode: showing cached and bundled models only');
  await expect(page.locator('[data-testid="catalog-row"][data-model="meta-llama/Llama-3.1-8B-Instruct"]')).toBeVisible();
  await expect(page.locator('[data-testid="catalog-row"][data-origin="hub"]')).toHaveCount(0);
});

test('Escape closes the install dialog', async ({ page }) => {
  await page.goto(url().replace('/#', `/#/catalog?model=${encodeURIComponent('Qwen/Qwen3-0.6B')}&`));
  await expect(page.getByTestId('model-title')).toHaveText('Qwen/Qwen3-0.6B');
  await page.getByTestId('install-button').click();
  await expect(page.getByTestId('install-dialog')).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('install-dialog')).toHaveCount(0);
});

test('a model page shows its card (Markdown, no HTML run), and what Install downloads', async ({ page }, testInfo) => {
  test.skip(!process.env.SWITCHYARD_E2E_HUB, 'needs the fake Hugging Face Hub');
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url().replace('/#', `/#/catalog?model=${encodeURIComponent('Qwen/Qwen3-8B')}&`));
  const card = page.getByTestId('model-card');
  await expect(card.locator('h1')).toHaveText('Qwen3-8B');
  await expect(card.locator('table')).toBeVisible();
  await expect(card).toContainText('<script>window.__cardScriptRan = true</script>'); // shown as text
  await expect(card.getByRole('link', { name: 'usage guide' })).toHaveAttribute('target', '_blank');
  await expect(card.locator('a[href^="javascript:"]')).toHaveCount(0);
  expect(await page.evaluate(() => (window as unknown as { __cardScriptRan?: boolean }).__cardScriptRan)).toBeUndefined();
  await card.scrollIntoViewIfNeeded();
  await shot(page, testInfo, 'model-page');

  // what Install will download: the weights and configs vLLM loads, not the extra .bin/.pth copies
  await page.goto(url().replace('/#', `/#/catalog?model=${encodeURIComponent('org/tiny-model')}&`));
  await expect(page.getByTestId('model-install-size')).toContainText(/^Install downloads \d+ files, 5(\.\d+)? MiB/);

  // a GGUF repo: pick the quantization Ollama gets; the size follows the pick
  await page.goto(url().replace('/#', `/#/catalog?model=${encodeURIComponent('org/tiny-gguf')}&`));
  const quant = page.getByTestId('model-quantization');
  await expect(quant).toBeVisible();
  const sizeOf = async () => (await page.getByTestId('model-install-size').textContent()) ?? '';
  await expect(page.getByTestId('model-install-size')).toContainText('Install downloads 1 file');
  const before = await sizeOf();
  const chosen = await quant.inputValue();
  const other = (await quant.locator('option').allTextContents()).find((q) => q !== chosen)!;
  await quant.selectOption(other);
  await expect.poll(sizeOf).not.toBe(before);
  await page.getByTestId('install-button').click();
  await expect(page.getByTestId('install-dialog').locator('select')).toHaveValue(other);
  await page.keyboard.press('Escape');
  expect(errors).toEqual([]);
});
