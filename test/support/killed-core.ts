import { execa } from 'execa';

/**
 * Runs a core in a child process (`core-process.ts`) that activates `runtime` (with `model`), then kills
 * that core with SIGKILL, as a crash would. Resolves with the runtime's pid once the core is gone: the
 * runtime itself is left running for the next core to find.
 */
export async function killCoreAfterActivating(dataDir: string, runtime: string, model: string | undefined, env: Record<string, string>): Promise<number> {
  const child = execa('node', ['--import', 'tsx', 'test/support/core-process.ts', dataDir, runtime, ...(model ? [model] : [])], { env, reject: false, buffer: false });
  const pid = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve((JSON.parse(line) as { pid: number }).pid);
    });
    child.once('exit', (code) => reject(new Error(`core process exited early (${code})`)));
  });
  child.kill('SIGKILL');
  await child;
  return pid;
}
