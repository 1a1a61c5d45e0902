import { expect, test, type Response } from '@playwright/test';

const url = () => process.env.SWITCHYARD_E2E_URL!;

/** The first screen's JavaScript budget on the wire (compressed bytes), issue 28. */
const FIRST_SCREEN_JS_BUDGET = 200 * 1024;

test('the first screen loads only its own chunks, brotli-compressed, within its budget; hashed assets are immutable', async ({ browser }) => {
  // a fresh context: nothing cached, as a first start of the app
  const context = await browser.newContext();
  const page = await context.newPage();
  const scripts: Response[] = [];
  page.on('response', (r) => {
    if (r.request().resourceType() === 'script') scripts.push(r);
  });
  const documentResponse = await page.goto(url());
  await expect(page.getByRole('heading', { name: 'Runtimes', level: 1 })).toBeVisible();
  await expect(page.getByTestId('runtime-vllm')).toBeVisible();

  expect(documentResponse!.headers()['cache-control']).toBe('no-cache');
  let wire = 0;
  for (const r of scripts) {
    const headers = await r.allHeaders();
    // a chunk of a few hundred bytes is not worth compressing (the build's threshold)
    if ((await r.body()).length >= 1024) expect(headers['content-encoding'], r.url()).toBe('br');
    expect(headers['cache-control'], r.url()).toBe('public, max-age=31536000, immutable');
    wire += (await r.request().sizes()).responseBodySize;
  }
  const names = scripts.map((r) => new URL(r.url()).pathname);
  console.log(`first screen: ${names.length} scripts, ${(wire / 1024).toFixed(1)} KiB of JavaScript on the wire (budget ${FIRST_SCREEN_JS_BUDGET / 1024} KiB)`);
  expect(wire).toBeGreaterThan(0);
  expect(wire).toBeLessThanOrEqual(FIRST_SCREEN_JS_BUDGET);
  // the other screens stay out of the first load (uPlot with the Dashboard, markdown-it with Catalog and Chat)
  expect(names.filter((n) => /(Dashboard|Catalog|Chat|Settings)Screen/.test(n))).toEqual([]);
  // one round of downloads: every script of the first screen is named by index.html (the entry, or a
  // modulepreload), none is found only once another has run
  const html = await documentResponse!.text();
  const named = [...html.matchAll(/<(?:script|link)[^>]+(?:src|href)="\.?(\/assets\/[^"]+\.js)"/g)].map((m) => m[1]);
  expect(named.some((n) => /RuntimesScreen-/.test(n!))).toBe(true);
  expect(names.filter((n) => !named.includes(n))).toEqual([]);

  // a screen's chunk starts loading while the pointer rests on its link, before any click
  const prefetched = page.waitForResponse((r) => /DashboardScreen-[\w-]+\.js$/.test(new URL(r.url()).pathname));
  await page.getByTestId('nav-dashboard').hover();
  await prefetched;
  // prefetched, not shown
  await expect(page.getByRole('heading', { name: 'Runtimes', level: 1 })).toBeVisible();
  await context.close();
});
