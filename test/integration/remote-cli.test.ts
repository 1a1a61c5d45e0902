// `switchyard provider add|list|validate|enable|disable|rm`, `routes` and `alias` against a listening core and the OpenAI emulator: in process
// through runCli (as cli.test.ts does; a CLI process per step costs seconds of TypeScript loading), and
// once as a real process for the key read from its standard input.
import { execa } from 'execa';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRemoteEmulator, type RemoteEmulator } from '../fixtures/remote/server.mjs';
import { runCli } from '../../src/main/cli/run';
import { startTestCore, type TestCore } from '../support/core';

let t: TestCore;
let e: RemoteEmulator;
let url = '';

beforeAll(async () => {
  e = await startRemoteEmulator({ dialect: 'openai' });
  t = await startTestCore({ env: { SWITCHYARD_OFFLINE: '0' } });
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await t?.close();
  await e?.close();
});

async function run(args: string[], input?: string): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const exitCode = await runCli(args, {
    env: { SWITCHYARD_URL: url, SWITCHYARD_TOKEN: t.token },
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    readStdin: input === undefined ? undefined : async () => input,
  });
  return { exitCode, stdout, stderr };
}

const runProcess = (args: string[], input: string) =>
  execa('node', ['--import', 'tsx', 'src/main/cli.ts', ...args], { env: { PATH: process.env.PATH!, SWITCHYARD_URL: url, SWITCHYARD_TOKEN: t.token }, extendEnv: false, reject: false, input });

describe('switchyard provider', () => {
  it('adds with the key from stdin, lists it masked, validates step by step, removes it', async () => {
    const key = e.keys[0]!;
    const added = await runProcess(['provider', 'add', 'oa', 'openai', '--base-url', e.baseUrl, '--key-stdin'], `${key}\n`);
    expect(added.exitCode, added.stderr).toBe(0);
    expect(added.stdout).toContain('key: ope…6789 from settings');

    const listed = await run(['provider', 'list']);
    expect(listed.stdout).toMatch(/^ID\s+KIND/);
    expect(listed.stdout).toContain('ope…6789');
    expect(listed.stdout).toContain('never');

    const valid = await run(['provider', 'validate', 'oa', '--model', 'gpt-4o-mini']);
    expect(valid.exitCode, valid.stderr).toBe(0);
    expect(valid.stdout).toMatch(/url\s+ok[\s\S]*offline\s+ok[\s\S]*reachability\s+ok[\s\S]*models\s+ok[\s\S]*parse\s+ok[\s\S]*model_check\s+ok/);
    expect(e.requests.at(-1)!.headers.authorization).toBe(`Bearer ${key}`);

    // the routes its validation made, and an alias for one
    const routes = await run(['routes']);
    expect(routes.stdout).toMatch(/oa\/gpt-4o-mini +- +oa \(remote\) +serving/);
    expect((await run(['alias', 'set', 'fast', 'oa/gpt-4o-mini'])).stdout).toContain('fast → oa/gpt-4o-mini');
    const json = JSON.parse((await run(['routes', '--json'])).stdout) as { routes: { model: string; aliases: string[] }[] };
    expect(json.routes.find((r) => r.model === 'oa/gpt-4o-mini')?.aliases).toEqual(['fast']);
    const badAlias = await run(['alias', 'set', 'x', 'oa/none']);
    expect(badAlias.exitCode).not.toBe(0);
    expect(badAlias.stderr).toContain('model_not_found');
    expect((await run(['alias', 'rm', 'fast'])).exitCode).toBe(0);
    expect((await run(['alias'])).exitCode).toBe(2);

    // a failed validation takes its routes away
    const missing = await run(['provider', 'validate', 'oa', '--model', 'gpt-imaginary']);
    expect(missing.exitCode).toBe(1);
    expect(missing.stdout).toContain('model_not_listed');
    expect((await run(['routes'])).stdout).toContain('No routes');

    // there is no way to pass the key on the command line
    const argvKey = await run(['provider', 'add', 'x', 'openai', '--api-key', key]);
    expect(argvKey.exitCode).toBe(2);
    const empty = await run(['provider', 'add', 'x', 'openai', '--key-stdin'], '');
    expect(empty.exitCode).toBe(2);

    for (const out of [added, listed, valid, missing]) expect(out.stdout + out.stderr).not.toContain(key);
    const enabledRm = await run(['provider', 'rm', 'oa']);
    expect(enabledRm.exitCode).not.toBe(0);
    expect(enabledRm.stderr).toContain('disable it first');
    const disabled = await run(['provider', 'disable', 'oa']);
    expect(disabled.stdout).toContain('Disabled oa');
    expect((await run(['provider', 'list'])).stdout).toMatch(/oa .* no /);
    expect((await run(['provider', 'rm', 'oa'])).exitCode).toBe(0);
    expect((await run(['provider', 'list'])).stdout).toContain('No remote providers');
  });
});
