import { expect, test } from '@playwright/test';
import { apiCall, shot } from './shots';

const url = () => process.env.SWITCHYARD_E2E_URL!;

async function ensureInstalled(name: string): Promise<void> {
  const { models } = (await apiCall('GET', '/api/v1/models/registry')) as { models: { name: string; status: string }[] };
  if (models.some((m) => m.name === name && m.status === 'installed')) return;
  const { operation_id: id } = (await apiCall('POST', '/api/v1/models/registry/install', { name, provider: 'huggingface' })) as { operation_id: string };
  await expect.poll(async () => ((await apiCall('GET', `/api/v1/models/operations/${id}`)) as { operation: { status: string } }).operation.status, { timeout: 30_000 }).toBe('completed');
}

/** Serves `name` on vLLM (the way Installed › Activate does) and waits until /v1/models lists it. */
async function serve(name: string): Promise<void> {
  await apiCall('POST', '/api/v1/models/activate', { name });
  await expect.poll(async () => ((await apiCall('GET', '/v1/models')) as { data?: { id: string }[] }).data?.map((m) => m.id) ?? [], { timeout: 30_000 }).toContain(name);
}

test.beforeAll(async () => {
  // slow tokens, passed to vLLM the way a user's env setting is: Stop has time to act
  await apiCall('PATCH', '/api/v1/settings', { vllm: { env: { EMU_TOKEN_DELAY_MS: '250' } } });
});
test.afterAll(async () => {
  await apiCall('POST', '/api/v1/system/llm-servers/vllm/stop');
  await apiCall('PATCH', '/api/v1/settings', { vllm: { env: {} } });
});

test('a model whose template rejects the system role: the system prompt is off, and says why', async ({ page }) => {
  test.skip(!process.env.SWITCHYARD_E2E_HUB, 'needs the fake Hugging Face Hub');
  await ensureInstalled('org/no-system-model');
  await serve('org/no-system-model');
  await page.goto(url());
  await page.getByTestId('nav-chat').click();
  await page.getByTestId('chat-new').click();
  await expect(page.getByTestId('chat-model-select')).toHaveValue('org/no-system-model');
  await expect(page.getByTestId('chat-system')).toBeDisabled();
  await expect(page.getByTestId('chat-system-why')).toContainText('rejects the system role');
});

test('chat with the active model: streamed answers, Stop, timings, history kept', async ({ page }, testInfo) => {
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await apiCall('POST', '/api/v1/system/llm-servers/vllm/stop');
  await page.goto(url());
  await page.getByTestId('nav-chat').click();
  await page.getByTestId('chat-new').click();
  // an installed model the endpoint does not serve: the conversation keeps the choice and the bar offers Activate
  await page.getByTestId('chat-model-select').selectOption('acme/local-chat');
  await expect(page.getByTestId('chat-model-note')).toContainText('acme/local-chat is not served now');
  await expect(page.getByTestId('chat-model-select')).toHaveValue('acme/local-chat');
  await page.getByTestId('chat-activate').click();
  await expect(page.getByTestId('chat-active-model')).toHaveText('answering: acme/local-chat', { timeout: 30_000 });
  // the picker groups the router's routes: the served local model is under Local
  await expect(page.locator('#chat-model-select optgroup[label="Local"] option[value="acme/local-chat"]')).toHaveCount(1);

  await expect(page.getByTestId('chat-system')).toBeEnabled();
  await page.getByTestId('chat-system').fill('You answer briefly.');
  await page.getByTestId('chat-temperature').fill('0.3');
  await page.getByTestId('chat-temperature').blur();

  const input = page.getByTestId('chat-input');
  await input.fill('What is tensor parallelism?');
  await input.press('Enter');
  await expect(page.getByTestId('chat-streaming')).toContainText('Hello');
  await page.getByTestId('chat-stop').click();
  const stopped = page.getByTestId('chat-msg-assistant').last();
  await expect(stopped.getByTestId('chat-stats')).toContainText('stopped');
  await expect(stopped).not.toContainText('You said: What is tensor parallelism?');

  await input.fill('And pipeline parallelism?');
  await page.getByTestId('chat-send').click();
  const answer = page.getByTestId('chat-msg-assistant').last();
  await expect(answer).toContainText('You said: And pipeline parallelism?', { timeout: 20_000 });
  await expect(answer.getByTestId('chat-stats')).toContainText(/first token \d+ ms · [\d.]+ tokens\/s · \d+ tokens/);
  await expect(answer.getByTestId('chat-stats')).not.toContainText('stopped');
  await shot(page, testInfo, 'chat');

  // kept in SQLite: a reload lists it under its first question, with both turns
  await page.reload();
  await page.getByTestId('nav-chat').click();
  await page.getByTestId('chat-conversation').filter({ hasText: 'What is tensor parallelism?' }).first().click();
  await expect(page.getByTestId('chat-msg-user')).toHaveCount(2);
  await expect(page.getByTestId('chat-msg-assistant')).toHaveCount(2);
  await expect(page.getByTestId('chat-temperature')).toHaveValue('0.3');
  await expect(page.getByTestId('chat-system')).toHaveValue('You answer briefly.');
  expect(pageErrors).toEqual([]);
});
