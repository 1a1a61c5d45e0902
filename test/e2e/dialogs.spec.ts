import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Locator, type Page } from '@playwright/test';
import { apiCall } from './shots';

const url = () => process.env.SWITCHYARD_E2E_URL!;
const MODEL = 'acme/local-chat'; // put into the HF cache by global-setup

const focusInside = (dialog: Locator) => dialog.evaluate((d) => d.contains(document.activeElement));

async function openKserve(page: Page): Promise<{ opener: Locator; dialog: Locator }> {
  const opener = page.getByTestId(`installed-${MODEL}-kserve`);
  await opener.click();
  const dialog = page.getByRole('dialog', { name: `Deploy ${MODEL} to KServe` });
  await expect(dialog).toBeVisible();
  return { opener, dialog };
}

test('a dialog is a labelled modal: focus moves in and stays on Tab, Escape and Close give it back, a backdrop click keeps what was typed', async ({ page }) => {
  await page.goto(url());
  await page.getByTestId('nav-installed').click();
  const { opener, dialog } = await openKserve(page);
  await expect(dialog).toHaveAttribute('aria-modal', 'true');
  expect(await focusInside(dialog)).toBe(true);
  // once the YAML is there every control is in the tab order: Tab goes round them, never behind
  await expect(dialog.getByTestId('kserve-yaml')).toBeVisible();
  for (let i = 0; i < 25; i++) {
    await page.keyboard.press('Tab');
    expect(await focusInside(dialog), `after ${i + 1} Tab presses`).toBe(true);
  }
  const axe = await new AxeBuilder({ page }).include('dialog').withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  expect(axe.violations.filter((v) => v.impact === 'critical' || v.impact === 'serious').map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);

  const namespace = dialog.getByLabel('Namespace');
  await namespace.fill('llm-serving');
  // the backdrop: the page's corner, outside the dialog box
  await page.mouse.click(5, 5);
  await expect(dialog).toBeVisible();
  await expect(namespace).toHaveValue('llm-serving');

  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
  await expect(opener).toBeFocused();

  const again = await openKserve(page);
  await again.dialog.getByRole('button', { name: 'Close', exact: true }).click();
  await expect(again.dialog).toHaveCount(0);
  await expect(opener).toBeFocused();
});

test('removing a provider and its stored key asks first, in words; Keep it keeps it', async ({ page }) => {
  const created = await apiCall('POST', '/api/v1/remote-providers', { id: 'e2e-remove-me', kind: 'openai', base_url: 'http://127.0.0.1:9/v1', api_key: 'sk-e2e-0123456789abcdef' });
  expect(created.success).toBe(true);
  await page.goto(url());
  await page.getByTestId('nav-providers').click();
  const card = page.getByTestId('provider-e2e-remove-me');
  // an enabled provider cannot be removed (routes point at it): Remove waits until it is disabled
  await expect(card.getByTestId('provider-e2e-remove-me-remove')).toBeDisabled();
  await card.getByTestId('provider-e2e-remove-me-enable').click();
  await expect(card.getByTestId('provider-e2e-remove-me-remove')).toBeEnabled();
  await card.getByTestId('provider-e2e-remove-me-remove').click();
  const confirm = page.getByRole('dialog', { name: 'Remove provider e2e-remove-me?' });
  await expect(confirm).toContainText('stored API key is deleted with it');
  await confirm.getByRole('button', { name: 'Keep it' }).click();
  await expect(confirm).toHaveCount(0);
  await expect(card).toBeVisible();
  await expect(card.getByTestId('provider-e2e-remove-me-remove')).toBeFocused();

  await card.getByTestId('provider-e2e-remove-me-remove').click();
  await page.getByRole('button', { name: 'Remove provider' }).click();
  await expect(card).toHaveCount(0);
  expect(((await apiCall('GET', '/api/v1/remote-providers')) as { providers: { id: string }[] }).providers.map((p) => p.id)).not.toContain('e2e-remove-me');
});
