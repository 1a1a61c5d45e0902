import { expect, test } from '@playwright/test';

const url = () => process.env.SWITCHYARD_E2E_URL!;

test('install a Hugging Face model by name, watch its progress, find it under Installed and in Operations', async ({ page }) => {
  test.skip(!process.env.SWITCHYARD_E2E_HUB, 'needs the fake Hugging Face Hub (test/fixtures/hub/server.mjs)');
  await page.goto(url());
  await page.getByTestId('nav-installed').click();
  await page.getByTestId('install-name').fill('org/tiny-model');
  await page.getByTestId('install-by-name').click();

  const dialog = page.getByTestId('install-dialog');
  await expect(dialog).toBeVisible();
  await expect(dialog.getByTestId('install-total')).toContainText('MiB');
  await expect(dialog).toContainText('model-00001-of-00002.safetensors');
  await expect(dialog).not.toContainText('pytorch_model.bin');
  await dialog.getByTestId('install-start').click();
  await expect(dialog.getByRole('progressbar')).toBeVisible();
  await expect(dialog.getByRole('progressbar')).toHaveAttribute('aria-valuenow', '100');
  await expect(dialog).toContainText('Installed org/tiny-model');
  await dialog.getByRole('button', { name: /Close/ }).click();

  const row = page.getByTestId('installed-org/tiny-model');
  await expect(row).toContainText('installed');
  await expect(row).toContainText('Hugging Face');

  await page.getByTestId('nav-operations').click();
  const card = page.getByTestId('operation-org/tiny-model').first();
  await expect(card.getByTestId('operation-status')).toHaveText('completed');
});

test('an invalid name is refused with a clear message', async ({ page }) => {
  await page.goto(url());
  await page.getByTestId('nav-installed').click();
  await page.getByTestId('install-name').fill('../etc/passwd');
  await page.getByTestId('install-by-name').click();
  await expect(page.getByTestId('install-error')).toContainText('not a valid model name');
});
