import { expect, test, type Page } from '@playwright/test';

const api = () => process.env.SWITCHYARD_E2E_API!;
const token = () => process.env.SWITCHYARD_E2E_TOKEN!;

const screenShown = (page: Page, name: string) => expect(page.getByRole('heading', { name, level: 1 })).toBeAttached();

// A fresh context each time (as a browser that never held the token): a deep link behaves as the root.
test('a deep link without the token asks for it, as the root does, then opens the screen it names', async ({ browser }) => {
  for (const link of ['/chat', '/#/chat', '/catalog/']) {
    const context = await browser.newContext();
    const page = await context.newPage();
    const response = await page.goto(`${api()}${link}`);
    expect(response!.status(), link).toBe(200);
    await expect(page.getByRole('textbox', { name: 'API token' }), link).toBeVisible();
    await page.getByRole('textbox', { name: 'API token' }).fill(token());
    await page.getByRole('button', { name: 'Connect' }).click();
    await screenShown(page, link.includes('chat') ? 'Chat' : 'Catalog');
    await expect(page.getByTestId(`nav-${link.includes('chat') ? 'chat' : 'catalog'}`)).toHaveAttribute('aria-current', 'page');
    // the address is the app's own hash route now: a reload and the nav links stay on this page
    expect(new URL(page.url()).pathname, link).toBe('/');
    await page.getByTestId('nav-settings').click();
    await screenShown(page, 'Settings');
    expect(new URL(page.url()).pathname, link).toBe('/');
    await context.close();
  }
});

test('a deep link that carries the token opens its screen at once, and a missing file is not answered with the page', async ({ browser }) => {
  for (const [link, name] of [[`/chat#token=${token()}`, 'Chat'], [`/#/catalog&token=${token()}`, 'Catalog']] as const) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${api()}${link}`);
    await screenShown(page, name);
    // the token left the address bar, as it does from the root's link
    expect(page.url(), link).not.toContain(token());
    if (name === 'Catalog') {
      // no page in place of a file: a broken asset link fails as one, not as HTML
      const missing = await page.request.get(`${api()}/assets/missing-Ab12Cd34.js`);
      expect(missing.status()).toBe(401);
    }
    await context.close();
  }
});
