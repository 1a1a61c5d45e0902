import { expect, test } from '@playwright/test';
import { shot } from './shots';

const url = () => process.env.SWITCHYARD_E2E_URL!;
const MODEL = 'acme/local-chat'; // put into the HF cache by global-setup

test('from Installed: activate a model, test it, and see its VRAM on the dashboard', async ({ page }, testInfo) => {
  await page.goto(url());
  await page.getByTestId('nav-dashboard').click();
  const vram = page.getByTestId('gpu-0-vram');
  await expect(vram).toContainText('GiB');
  await expect(page.getByTestId('vram-holders')).toContainText('No process holds GPU memory');
  const before = await vram.textContent();

  await page.getByTestId('nav-installed').click();
  const badges = page.getByTestId(`installed-${MODEL}-badges`);
  await expect(badges).toContainText('validated');
  await expect(page.getByTestId(`installed-${MODEL}-test`)).toBeDisabled();
  await page.getByTestId(`installed-${MODEL}-activate`).click();
  // the load shows progress from the runtime's log, then the model is served
  await expect(page.getByTestId(`installed-${MODEL}-progress`)).toBeVisible();
  await expect(page.getByTestId(`installed-${MODEL}-serving`)).toBeVisible({ timeout: 20_000 });
  await expect(badges).toContainText('active');
  // the router's slot it went in (vLLM serves the chat slot only: no "Load as embeddings" for it)
  await expect(page.getByTestId(`installed-${MODEL}-slot`)).toHaveText('chat slot');
  await expect(page.getByTestId(`installed-${MODEL}-activate-embeddings`)).toHaveCount(0);
  // the activation's own events (SSE) say how it went
  await expect(page.getByTestId(`installed-${MODEL}-activation`)).toContainText(`${MODEL} is served by vLLM`);

  await page.getByTestId(`installed-${MODEL}-test`).click();
  const lastTest = page.getByTestId(`installed-${MODEL}-last-test`);
  await expect(lastTest).toContainText('test ok');
  await expect(lastTest).toContainText('tokens/s');
  await shot(page, testInfo, 'installed');

  await page.getByTestId('nav-dashboard').click();
  const holders = page.getByTestId('vram-holders');
  await expect(holders).toContainText('vLLM', { timeout: 10_000 });
  await expect(holders).toContainText(MODEL);
  // both local slots, as the router's routes say
  await expect(page.getByTestId('slot-chat')).toContainText(MODEL);
  await expect(page.getByTestId('slot-chat')).toContainText('serving');
  await expect(page.getByTestId('slot-embeddings')).toHaveText('empty');
  await expect(vram).not.toHaveText(before!);
  await shot(page, testInfo, 'dashboard');

  await page.getByTestId('nav-installed').click();
  await page.getByTestId(`installed-${MODEL}-deactivate`).click();
  await expect(page.getByTestId(`installed-${MODEL}-serving`)).toHaveCount(0);
  await expect(page.getByTestId(`installed-${MODEL}-activate`)).toBeEnabled();
});
