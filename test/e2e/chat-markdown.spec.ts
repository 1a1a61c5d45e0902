import { expect, test, type Page } from '@playwright/test';
import { apiCall, shot } from './shots';

const url = () => process.env.SWITCHYARD_E2E_URL!;
const MODEL = 'acme/local-chat'; // put into the HF cache by global-setup
const CODE = 'vllm serve acme/local-chat \\\n  --max-model-len 8192';
// every answer of the emulated vLLM in this file (EMU_REPLY): Markdown with a code block
const REPLY = `Use **tensor parallelism**:\n\n\`\`\`bash\n${CODE}\n\`\`\`\n\nThen ask again.`;

test.beforeAll(async () => {
  await apiCall('POST', '/api/v1/system/llm-servers/vllm/stop');
  await apiCall('PATCH', '/api/v1/settings', { vllm: { env: { EMU_REPLY: REPLY } } });
  await apiCall('POST', '/api/v1/models/activate', { name: MODEL });
  await expect.poll(async () => ((await apiCall('GET', '/v1/models')) as { data?: { id: string }[] }).data?.map((m) => m.id) ?? [], { timeout: 30_000 }).toContain(MODEL);
});
test.afterAll(async () => {
  await apiCall('POST', '/api/v1/system/llm-servers/vllm/stop');
  await apiCall('PATCH', '/api/v1/settings', { vllm: { env: {} } });
});

async function ask(page: Page, question: string): Promise<void> {
  await page.goto(url());
  await page.getByTestId('nav-chat').click();
  await page.getByTestId('chat-new').click();
  await expect(page.getByTestId('chat-model-select')).toHaveValue(MODEL);
  await page.getByTestId('chat-input').fill(question);
  await page.getByTestId('chat-send').click();
  await expect(page.getByTestId('chat-msg-assistant').last().getByTestId('chat-stats')).toBeVisible({ timeout: 20_000 });
}

const clipboard = (page: Page) => page.evaluate(() => navigator.clipboard.readText());

test('answers render as Markdown with code blocks; a code block and a whole message copy', async ({ page, context }, testInfo) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await ask(page, 'How do I split a model over two GPUs?');
  const answer = page.getByTestId('chat-msg-assistant').last();
  await expect(answer.locator('strong')).toHaveText('tensor parallelism');
  await expect(answer.locator('pre code')).toHaveText(CODE);
  await expect(answer.locator('.code-head')).toContainText('bash');

  await answer.getByRole('button', { name: 'Copy code' }).click();
  await expect(answer.getByRole('button', { name: 'Copied' })).toBeVisible();
  expect(await clipboard(page)).toBe(`${CODE}\n`);
  await shot(page, testInfo, 'chat-markdown');

  await answer.getByTestId('chat-copy').click();
  await expect(answer.getByTestId('chat-copy')).toHaveText('Copied');
  expect(await clipboard(page)).toBe(REPLY);
  // the question, as typed
  await page.getByTestId('chat-msg-user').getByTestId('chat-copy').click();
  expect(await clipboard(page)).toBe('How do I split a model over two GPUs?');
});

test('regenerate replaces the last answer; edit and resend replaces the question and what followed', async ({ page }) => {
  await ask(page, 'First question');
  await page.getByTestId('chat-regenerate').click();
  await expect(page.getByTestId('chat-streaming')).toHaveCount(0, { timeout: 20_000 });
  await expect(page.getByTestId('chat-msg-assistant')).toHaveCount(1);
  await expect(page.getByTestId('chat-msg-user')).toHaveCount(1);

  await page.getByTestId('chat-msg-user').getByTestId('chat-edit').click();
  await page.getByTestId('chat-edit-input').fill('Second question');
  await page.getByTestId('chat-edit-send').click();
  await expect(page.getByTestId('chat-msg-user')).toHaveText(/Second question/);
  await expect(page.getByTestId('chat-msg-assistant').getByTestId('chat-stats')).toBeVisible({ timeout: 20_000 });
  await expect(page.getByTestId('chat-msg-assistant')).toHaveCount(1);

  // what is stored is what is shown
  const { conversations } = (await apiCall('GET', '/api/v1/chat/conversations')) as { conversations: { id: number }[] };
  const { messages } = (await apiCall('GET', `/api/v1/chat/conversations/${conversations[0]!.id}`)) as { messages: { role: string; content: string }[] };
  expect(messages.map((m) => [m.role, m.content])).toEqual([
    ['user', 'Second question'],
    ['assistant', REPLY],
  ]);
});

test('a deleted conversation can be brought back with Undo; without it, it is gone for good', async ({ page }) => {
  await ask(page, 'Keep me around');
  const item = page.getByTestId('chat-conversation').filter({ hasText: 'Keep me around' });
  await expect(item).toHaveCount(1);
  await page.getByRole('button', { name: 'Delete Keep me around' }).click();
  await expect(item).toHaveCount(0);
  await page.getByTestId('chat-undo').click();
  await expect(item).toHaveCount(1);
  await expect(page.getByTestId('chat-undo-bar')).toHaveCount(0);

  await page.reload();
  await page.getByTestId('nav-chat').click();
  await expect(item).toHaveCount(1);
  await page.getByRole('button', { name: 'Delete Keep me around' }).click();
  await expect(page.getByTestId('chat-undo-bar')).toContainText('Deleted “Keep me around”');
  // the undo time runs out: then the API deletes it
  await expect(page.getByTestId('chat-undo-bar')).toHaveCount(0, { timeout: 20_000 });
  await expect
    .poll(async () => ((await apiCall('GET', '/api/v1/chat/conversations')) as { conversations: { title: string }[] }).conversations.map((c) => c.title))
    .not.toContain('Keep me around');
  await page.reload();
  await page.getByTestId('nav-chat').click();
  await expect(page.getByTestId('chat-conversation').first()).toBeVisible();
  await expect(item).toHaveCount(0);
});
