import { expect, test } from '@playwright/test';

const url = () => process.env.SWITCHYARD_E2E_URL!;

test('the API docs open from the signed-in UI and try requests with its token', async ({ page, context }) => {
  await page.goto(url());
  await expect(page.getByTestId('nav-runtimes')).toBeVisible();
  const [docs] = await Promise.all([context.waitForEvent('page'), page.getByTestId('nav-api-docs').click()]);
  await docs.waitForLoadState();
  // the page renders the OpenAPI document (its assets and spec are public; the API's data is not).
  // Swagger UI resolves the whole ~200 KB document before it draws anything: ~10 s of one core on a
  // loaded 2-core machine, so this first wait gets more than the default 15 s
  await expect(docs.locator('.swagger-ui .info .title')).toContainText('Switchyard API', { timeout: 45_000 });
  await expect(docs.locator('.opblock-summary-path', { hasText: '/api/v1/settings' }).first()).toBeVisible();
  // pre-authorized with the UI's token: "Try it out" on GET /api/v1/settings answers 200
  const block = docs.locator('.opblock-get', { has: docs.locator('.opblock-summary-path', { hasText: /^\/api\/v1\/settings$/ }) }).first();
  await block.locator('.opblock-summary').click();
  await block.getByRole('button', { name: 'Try it out' }).click();
  await block.getByRole('button', { name: 'Execute' }).click();
  await expect(block.locator('.live-responses-table .response .response-col_status').first()).toHaveText(/200/);
});
