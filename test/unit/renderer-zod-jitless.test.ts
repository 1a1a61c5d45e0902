import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';

// The UI's Content-Security-Policy has no 'unsafe-eval': there, `new Function` throws and the browser
// reports a violation even when the caller catches it. Here it is made to throw and counted the same way.
const RealFunction = globalThis.Function;
const attempts: unknown[][] = [];
globalThis.Function = new Proxy(RealFunction, {
  construct(_target, args: unknown[]) {
    attempts.push(args);
    throw new EvalError("Refused to evaluate a string as JavaScript because 'unsafe-eval' is not an allowed source of script");
  },
});
afterAll(() => {
  globalThis.Function = RealFunction;
});

describe('renderer: zod without eval', () => {
  it('parses objects without ever trying `new Function` (zod jitless, set before any schema runs)', async () => {
    await import('../../src/renderer/src/zod-setup');
    const { Settings } = await import('../../src/shared/settings');
    const { z } = await import('zod');
    const schema = z.object({ name: z.string(), count: z.number().int(), tags: z.array(z.string()) });
    expect(schema.parse({ name: 'a', count: 1, tags: ['x'] })).toEqual({ name: 'a', count: 1, tags: ['x'] });
    expect(Settings.parse({}).ui).toBeTruthy();
    expect(attempts).toEqual([]);
  });

  it('the renderer entry imports the setting before anything else', () => {
    const entry = readFileSync(new URL('../../src/renderer/src/main.tsx', import.meta.url), 'utf8');
    expect(entry.split('\n').find((line) => line.startsWith('import '))).toBe("import './zod-setup';");
  });
});
