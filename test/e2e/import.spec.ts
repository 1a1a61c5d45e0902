import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { writeModelFolder } from '../support/local-models';

const url = () => process.env.SWITCHYARD_E2E_URL!;
const dirs: string[] = [];
test.afterAll(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

test('Installed › Import…: a model folder by its path becomes a local vLLM model; a text file is refused in a sentence', async ({ page }) => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-e2e-import-'));
  dirs.push(dir);
  const folder = writeModelFolder(join(dir, 'e2e-finetune'));
  const notes = join(dir, 'notes.gguf');
  writeFileSync(notes, 'not weights');
  await page.goto(url());
  await page.getByTestId('nav-installed').click();

  await page.getByTestId('import-open').click();
  const dialog = page.getByTestId('import-dialog');
  await dialog.getByTestId('import-path').fill(notes);
  await dialog.getByTestId('import-submit').click();
  await expect(dialog.getByTestId('import-error')).toContainText('is not a GGUF model file');

  await dialog.getByTestId('import-path').fill(folder);
  await dialog.getByTestId('import-submit').click();
  await expect(dialog).toBeHidden();
  await expect(page.getByTestId('import-notice')).toContainText('local/e2e-finetune');
  const row = page.getByTestId('installed-local/e2e-finetune');
  await expect(row).toContainText('installed');
  await expect(row.getByTestId('installed-local/e2e-finetune-import-path')).toContainText(folder);
});
