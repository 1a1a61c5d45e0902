import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
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

  it('the app imports the setting before anything else, and the entry before it builds no schema', () => {
    // start.tsx is the app (React, the store, every screen after it); main.tsx, the entry, only reads the
    // token and sends the first requests: nothing it runs may import zod (its schemas are types there)
    const start = readFileSync(new URL('../../src/renderer/src/start.tsx', import.meta.url), 'utf8');
    expect(start.split('\n').find((line) => line.startsWith('import '))).toBe("import './zod-setup';");
    const seen = new Set<string>();
    const zodUsers: string[] = [];
    const walk = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(file, 'utf8');
      // imports that run: not `import type`, and not the dynamic import of the app itself
      for (const [, spec] of text.matchAll(/^import (?!type )(?:[^'"]*? from )?'([^']+)';/gm)) {
        if (spec === 'zod') zodUsers.push(file);
        if (!spec!.startsWith('.') || spec!.endsWith('.css')) continue;
        const base = fileURLToPath(new URL(spec!, pathToFileURL(file)));
        const found = ['.ts', '.tsx', '/index.ts'].map((ext) => base + ext).find((f) => existsSync(f));
        if (!found) throw new Error(`cannot resolve ${spec} from ${file}`);
        walk(found);
      }
    };
    walk(fileURLToPath(new URL('../../src/renderer/src/main.tsx', import.meta.url)));
    expect(seen.size).toBeGreaterThan(3);
    expect(zodUsers).toEqual([]);
  });
});
