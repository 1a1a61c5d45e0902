// Saves settings in a loop until it is killed (for the SIGKILL test of settings + secrets):
//   node --import tsx test/support/settings-writer.ts <dataDir>
// Save i sets hub.token to tokenFor(i), hub.endpoint to endpointFor(i) and vllm.env.HF_TOKEN to
// tokenFor(i) (settings-secrets.test.ts reads them back the same way); it prints `saved <i>` after each.
import { createCore } from '../../src/main/app';
import { createLogger } from '../../src/main/logger';

const tokenFor = (i: number) => `hf_crash_test_token_${String(i).padStart(6, '0')}`;
const endpointFor = (i: number) => `https://hub${i}.example.test`;

const core = await createCore({ dataDir: process.argv[2]!, port: 0, token: 'test-token-0123456789abcdef', env: { ...process.env, SWITCHYARD_OFFLINE: '1' } }, { logger: createLogger({ level: 'silent' }) });
for (let i = 1; ; i++) {
  core.settings.update({ hub: { token: tokenFor(i), endpoint: endpointFor(i) }, vllm: { env: { HF_TOKEN: tokenFor(i) } } });
  process.stdout.write(`saved ${i}\n`);
  // let the parent's kill land anywhere: between saves and inside them
  if (i % 8 === 0) await new Promise((resolve) => setImmediate(resolve));
}
