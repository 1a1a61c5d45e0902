// The CLI against a whole core listening on a real port: in process through runCli (every verb), and
// once as a real process through its entry file (exit codes, one-line errors).
import { execa } from 'execa';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/main/cli/run';
import { startTestCore, type TestCore } from '../support/core';
import { waitFor } from '../support/wait';

let t: TestCore;
let url = '';
let dataDir = '';

beforeAll(async () => {
  // slow pulls, so that a Ctrl-C lands while bytes still flow
  t = await startTestCore({ hfModels: ['org/tiny-model'], env: { EMU_START_DELAY_MS: '100', EMU_PULL_BYTES_PER_SEC: String(512 * 1024) } });
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  dataDir = mkdtempSync(join(tmpdir(), 'switchyard-cli-'));
  writeFileSync(join(dataDir, 'token'), t.token);
});

afterAll(async () => {
  await t?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Runs the CLI in this process with the token found through --data-dir, as a person would. */
async function cli(args: string[], options: { env?: NodeJS.ProcessEnv; signal?: AbortSignal } = {}) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    env: options.env ?? { SWITCHYARD_URL: url, SWITCHYARD_DATA_DIR: dataDir },
    stdout: (s) => (stdout += s),
    stderr: (s) => (stderr += s),
    signal: options.signal,
    pollMs: 50,
  });
  return { code, stdout, stderr };
}

describe('switchyard CLI', () => {
  it('prints help (exit 0), refuses wrong usage with exit 2 and one line', async () => {
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: switchyard/);
    for (const verb of ['status', 'list', 'pull', 'rm', 'activate', 'deactivate', 'start', 'stop', 'logs', 'ps', 'search', '--url', 'SWITCHYARD_TOKEN']) expect(help.stdout).toContain(verb);
    expect((await cli([])).code).toBe(2);
    const unknown = await cli(['frobnicate']);
    expect(unknown).toMatchObject({ code: 2, stdout: '' });
    expect(unknown.stderr).toBe('switchyard: unknown command "frobnicate". Run switchyard --help for the commands.\n');
    expect((await cli(['status', '--bogus'])).code).toBe(2);
    expect(await cli(['start', 'Llama CPP'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/"Llama CPP" is not a runtime id/) });
    // which runtimes exist is the server's to say: the CLI names none
    expect(await cli(['start', 'llamacpp'])).toMatchObject({ code: 1, stderr: 'switchyard: runtime_not_found: No runtime "llamacpp" in Switchyard. The runtimes are: vllm, ollama.\n' });
  });

  it('never creates a token: a wrong data dir, a wrong token and an unreachable URL each fail in one line', async () => {
    const missing = join(dataDir, 'elsewhere');
    const wrongDir = await cli(['status', '--data-dir', missing], { env: { SWITCHYARD_URL: url } });
    expect(wrongDir.code).toBe(1);
    expect(wrongDir.stderr).toMatch(/^switchyard: no_token: No API token: .*elsewhere\/token does not exist\. Point --data-dir/);
    expect(wrongDir.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(missing)).toBe(false);

    const refused = await cli(['status', '--token', 'not-the-right-token-at-all'], { env: { SWITCHYARD_URL: url } });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^switchyard: unauthorized: The token was refused/);

    const down = await cli(['status', '--url', 'http://127.0.0.1:1', '--token', t.token], { env: {} });
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^switchyard: unreachable: Cannot reach Switchyard at http:\/\/127\.0\.0\.1:1 .*npm run serve/);
  });

  it('status, start, logs (of the active runtime), stop; errors as code: message', async () => {
    const noneActive = await cli(['logs']);
    expect(noneActive.code).toBe(2);
    expect(noneActive.stderr).toMatch(/no runtime is active: name one/);

    const vllmNoModel = await cli(['start', 'vllm']);
    expect(vllmNoModel.code).toBe(1);
    expect(vllmNoModel.stderr).toMatch(/^switchyard: bad_request: vLLM serves one model per process/);

    const started = await cli(['start', 'ollama']);
    expect(started.code, started.stderr).toBe(0);
    expect(started.stdout).toMatch(/^RUNTIME\s+STATE\s+ACTIVE\s+ADDRESS\s+PID\s+MODEL\nollama\s+ready\s+yes\s+127\.0\.0\.1:\d+\s+\d+/);

    const status = await cli(['status']);
    expect(status.stdout.split('\n')[0]).toMatch(/^RUNTIME\s+STATE/);
    expect(status.stdout).toMatch(/\nvllm\s+stopped\s+-/);
    const json = await cli(['status', '--json']);
    expect(JSON.parse(json.stdout).servers.find((s: { name: string }) => s.name === 'ollama')).toMatchObject({ state: 'ready', active: true });

    await waitFor(async () => (await cli(['logs', '-n', '50'])).stdout.includes('Listening on'), 'the active runtime’s log through `logs`');
    expect((await cli(['logs', 'vllm', '-n', 'x'])).code).toBe(2);

    const stopped = await cli(['stop', 'ollama']);
    expect(stopped.stdout).toMatch(/\nollama\s+stopped/);
  });

  it('pull shows progress and installs; list, activate, deactivate, ps, search, rm', async () => {
    const pulled = await cli(['pull', 'qwen2.5:0.5b']);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(pulled.stdout).toBe('installed qwen2.5:0.5b: Installed qwen2.5:0.5b.\n');
    expect(pulled.stderr).toMatch(/qwen2\.5:0\.5b\s+\d+\.\d %/);

    const list = await cli(['list']);
    expect(list.stdout).toMatch(/^NAME\s+PROVIDER\s+RUNTIME\s+SIZE\s+STATE\s+INSTALLED\n/);
    expect(list.stdout).toMatch(/\nqwen2\.5:0\.5b\s+ollama\s+ollama\s+[\d.]+ MiB\s+validated/);
    expect(list.stdout).toMatch(/\norg\/tiny-model\s+huggingface\s+vllm/);

    const activated = await cli(['activate', 'qwen2.5:0.5b']);
    expect(activated.code, activated.stderr).toBe(0);
    expect(activated.stdout).toMatch(/^qwen2\.5:0\.5b is active on ollama \(http:\/\/127\.0\.0\.1:\d+, serving/);
    expect((await cli(['list'])).stdout).toMatch(/\nqwen2\.5:0\.5b\s+.*serving/);
    const refused = await cli(['rm', 'qwen2.5:0.5b']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^switchyard: lifecycle_violation: .*Deactivate/);
    expect((await cli(['deactivate'])).stdout).toMatch(/qwen2\.5:0\.5b is no longer served/);

    const ps = await cli(['ps']);
    expect(ps.stdout).toMatch(/^ID\s+TYPE\s+MODEL\s+STATUS\s+PROGRESS/);
    expect(ps.stdout).toMatch(/\n[0-9a-f]{8}\s+install\s+qwen2\.5:0\.5b\s+completed\s+100 %/);

    const search = await cli(['search', 'qwen', '--limit', '3']);
    expect(search.stdout).toMatch(/^NAME\s+PROVIDER\s+RUNTIME\s+SIZE\s+PARAMS\s+FIT\n/);
    expect(search.stdout.trim().split('\n').length).toBeGreaterThanOrEqual(2);

    const removed = await cli(['rm', 'qwen2.5:0.5b']);
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toMatch(/^removed qwen2\.5:0\.5b/);
    expect((await cli(['list'])).stdout).not.toContain('qwen2.5:0.5b');

    const unknown = await cli(['pull', 'no-such-model:7b']);
    expect(unknown.code).toBe(1);
    // a progress line may come first, if a poll saw the operation before Ollama answered
    expect(unknown.stderr).toMatch(/(^|\n)switchyard: model_not_found: Ollama has no model "no-such-model:7b" \(pull model manifest: file does not exist\)/);
  });

  it('Ctrl-C during a pull cancels the operation and exits 130', async () => {
    const controller = new AbortController();
    const running = cli(['pull', 'llama3.2:latest'], { signal: controller.signal });
    await waitFor(async () => {
      const ops = await t.call<{ operations: { model_name: string; bytes_done: number }[] }>('GET', '/api/v1/models/operations');
      return ops.body.operations.some((o) => o.model_name === 'llama3.2:latest' && o.bytes_done > 0);
    }, 'bytes of the pull');
    controller.abort();
    const result = await running;
    expect(result.code).toBe(130);
    expect(result.stderr).toMatch(/switchyard: cancelled: llama3\.2:latest: Cancelled \(partial data kept/);
    const ops = await t.call<{ operations: { model_name: string; status: string }[] }>('GET', '/api/v1/models/operations');
    expect(ops.body.operations.find((o) => o.model_name === 'llama3.2:latest')?.status).toBe('cancelled');
  });

  it('as a real process: exit codes and a one-line error, token from SWITCHYARD_TOKEN', async () => {
    const run = (args: string[], env: Record<string, string>) => execa('node', ['--import', 'tsx', 'src/main/cli.ts', ...args], { env: { PATH: process.env.PATH!, ...env }, extendEnv: false, reject: false });
    const help = await run(['--help'], {});
    expect(help.exitCode).toBe(0);
    const ok = await run(['status'], { SWITCHYARD_URL: url, SWITCHYARD_TOKEN: t.token });
    expect(ok.exitCode, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^RUNTIME/);
    const failed = await run(['start', 'vllm'], { SWITCHYARD_URL: url, SWITCHYARD_TOKEN: t.token });
    expect(failed.exitCode).toBe(1);
    expect(failed.stderr).toMatch(/^switchyard: bad_request: [^\n]+$/);
    expect((await run(['nope'], {})).exitCode).toBe(2);
  });
});
