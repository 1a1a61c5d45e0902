import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';

const url = () => process.env.SWITCHYARD_E2E_URL!;
const SCREENS = ['catalog', 'trending', 'installed', 'operations', 'runtimes', 'providers', 'chat', 'dashboard', 'news', 'settings'];

/** axe-core over the page as it is now, WCAG 2.1 A and AA; the critical and serious findings, one line each. */
async function violations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return result.violations
    .filter((v) => v.impact === 'critical' || v.impact === 'serious')
    .map((v) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 4).join(', ')}`);
}

// one test per screen: axe takes seconds per page on a busy 2-core machine, and a failure names its screen
for (const id of SCREENS) {
  test(`no critical or serious axe violation (WCAG 2.1 A/AA) on ${id}`, async ({ page }) => {
    await page.goto(url());
    await page.getByTestId(`nav-${id}`).click();
    await expect(page.getByTestId(`nav-${id}`)).toHaveAttribute('aria-current', 'page');
    await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
    // the screen's data arrived (no "Loading…" left), so axe sees what a person sees
    await expect(page.getByRole('status').filter({ hasText: /^Loading…$/ })).toHaveCount(0);
    expect(await violations(page)).toEqual([]);
  });
}

test('a skip link leads past the navigation to the screen', async ({ page }) => {
  await page.goto(url());
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  await page.keyboard.press('Tab');
  const skip = page.getByRole('link', { name: 'Skip to content' });
  await expect(skip).toBeFocused();
  await skip.press('Enter');
  await expect(page.locator('main#main')).toBeFocused();
});

test('no critical or serious axe violation on a model page and its Install dialog', async ({ page }) => {
  test.skip(!process.env.SWITCHYARD_E2E_HUB, 'needs the fake Hugging Face Hub');
  await page.goto(url());
  await page.getByTestId('nav-catalog').click();
  // the catalog's lazy chunk has mounted (it settles the address when it does): then open the model page
  await expect(page.getByTestId('catalog-search')).toBeVisible();
  await page.evaluate(() => (window.location.hash = '#/catalog?model=org%2Fmistral-style'));
  await expect(page.getByTestId('model-title')).toHaveText('org/mistral-style');
  await expect(page.getByRole('heading', { name: 'Model card' })).toBeVisible();
  expect(await violations(page)).toEqual([]);
  await page.getByTestId('install-button').click();
  await expect(page.getByTestId('install-total')).toBeVisible();
  expect(await violations(page)).toEqual([]);
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('install-button')).toBeFocused();
});
