import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page, TestInfo } from '@playwright/test';

const docsDir = fileURLToPath(new URL('../../docs/screenshots', import.meta.url));

/**
 * Attaches a screenshot to the test's output (the HTML report and `--reporter=list` name it). With
 * SWITCHYARD_UPDATE_SCREENSHOTS=1 it is also written to docs/screenshots/<name>.png for the README.
 */
export async function shot(page: Page, testInfo: TestInfo, name: string, options: { fullPage?: boolean } = {}): Promise<void> {
  const body = await page.screenshot({ fullPage: options.fullPage ?? false, animations: 'disabled' });
  await testInfo.attach(name, { body, contentType: 'image/png' });
  if (process.env.SWITCHYARD_UPDATE_SCREENSHOTS === '1') {
    mkdirSync(docsDir, { recursive: true });
    await page.screenshot({ path: join(docsDir, `${name}.png`), fullPage: options.fullPage ?? false, animations: 'disabled' });
  }
}

export const apiCall = async (method: string, path: string, body?: unknown): Promise<Record<string, unknown>> => {
  const res = await fetch(`${process.env.SWITCHYARD_E2E_API}${path}`, {
    method,
    headers: { authorization: `Bearer ${process.env.SWITCHYARD_E2E_TOKEN}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  return (await res.json()) as Record<string, unknown>;
};
