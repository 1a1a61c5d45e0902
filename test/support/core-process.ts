// Runs a Switchyard core in its own process (for tests that kill Switchyard with SIGKILL):
//   node --import tsx test/support/core-process.ts <dataDir> <runtime> [model]
// Environment comes from the parent. Prints one JSON line {"ready":true,"pid":<runtime pid>} then idles.
import { createCore } from '../../src/main/app';
import { createLogger } from '../../src/main/logger';
import type { RuntimeName } from '../../src/shared/api/runtimes';

const [dataDir, runtime, model] = process.argv.slice(2);
const core = await createCore({ dataDir: dataDir!, port: 0, token: 'test-token-0123456789abcdef', env: { ...process.env } }, { logger: createLogger({ level: 'silent' }) });
// an installed model goes through activation (its flags and revision, as the app launches it)
if (model && core.models.list().some((m) => m.name === model)) await core.activation.activate({ name: model });
const info = model && core.models.list().some((m) => m.name === model) ? core.runtimes.info(runtime as RuntimeName) : await core.runtimes.activate(runtime as RuntimeName, { model: model ?? null });
process.stdout.write(`${JSON.stringify({ ready: true, pid: info.pid })}\n`);
setInterval(() => {}, 60_000);
