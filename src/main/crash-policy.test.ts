import { execa } from 'execa';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const policy = fileURLToPath(new URL('./crash-policy.ts', import.meta.url));

describe('crash policy', () => {
  it('logs a stray rejection and an uncaught exception and keeps the process serving', async () => {
    // a real process: only there does an unhandled rejection end Node (its default), or not
    const script = `
      import http from 'node:http';
      const { installCrashPolicy } = await import(${JSON.stringify(policy)});
      const logged = [];
      installCrashPolicy({ error: (o, m) => logged.push(m + ': ' + (o.err?.message ?? '')) });
      const server = http.createServer((_q, r) => r.end('alive')).listen(0, '127.0.0.1', async () => {
        void Promise.reject(new Error('stray rejection'));
        setTimeout(() => { throw new Error('stray throw'); }, 0);
        while (logged.length < 2) await new Promise((r) => setImmediate(r)); // both reached the policy
        const answer = await (await fetch('http://127.0.0.1:' + server.address().port)).text();
        console.log(JSON.stringify({ answer, logged }));
        server.close();
      });
    `;
    const run = await execa(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { reject: false });
    expect(run.exitCode, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { answer: string; logged: string[] };
    expect(out.answer).toBe('alive');
    expect(out.logged).toEqual(expect.arrayContaining(['unhandled promise rejection (kept serving): stray rejection', 'uncaught exception (kept serving): stray throw']));
  });
});
