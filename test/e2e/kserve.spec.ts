import { expect, test } from '@playwright/test';

const url = () => process.env.SWITCHYARD_E2E_URL!;
const MODEL = 'acme/local-chat'; // put into the HF cache by global-setup

test('Installed › Deploy to KServe…: YAML for the cluster GPUs, validated, then applied and registered back', async ({ page }) => {
  await page.goto(url());
  await page.getByTestId('nav-installed').click();
  await page.getByTestId(`installed-${MODEL}-kserve`).click();
  const dialog = page.getByTestId('kserve-dialog');
  // the fake GPU's size is the default; the fit picks one GPU for this small model
  await expect(dialog.getByTestId('kserve-summary')).toContainText(/^valid 1 × \d+(\.\d)? GiB GPU/);
  await expect(dialog.getByTestId('kserve-yaml')).toContainText('storageUri: hf://acme/local-chat:');
  await expect(dialog).toContainText('kubectl apply -f local-chat.yaml');

  await dialog.getByTestId('kserve-gpus').selectOption('2');
  await expect(dialog.getByTestId('kserve-yaml')).toContainText('--tensor-parallel-size=2');
  await dialog.getByTestId('kserve-storage-pvc').click();
  await expect(dialog.getByTestId('kserve-error')).toContainText('pvc=<claim>/<path>');
  await dialog.getByTestId('kserve-pvc').fill('models/local-chat');
  await expect(dialog.getByTestId('kserve-yaml')).toContainText('storageUri: pvc://models/local-chat');

  await dialog.getByTestId('kserve-service-url').fill('http://local-chat.llm.example.com/');
  await dialog.getByTestId('kserve-register').click();
  await expect(dialog).toContainText('Registered as provider "local-chat"');
  const api = process.env.SWITCHYARD_E2E_API!;
  const res = await fetch(`${api}/api/v1/remote-providers/local-chat`, { headers: { authorization: `Bearer ${process.env.SWITCHYARD_E2E_TOKEN}` } });
  const body = (await res.json()) as { provider: { kind: string; base_url: string } };
  expect(body.provider).toMatchObject({ kind: 'kserve', base_url: 'http://local-chat.llm.example.com/openai/v1' });
});
