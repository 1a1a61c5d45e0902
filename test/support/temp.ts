import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

const made = new Set<string>();

/**
 * A fresh directory under the OS temp dir that is removed once the test file is done (after its own
 * afterAll hooks: this one is registered first, at import, and after-hooks run in reverse), or when the
 * process exits outside vitest (benches). Tests that delete it earlier lose nothing.
 */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.add(dir);
  return dir;
}

/** Removes a directory made by `tempDir` now (a runtime may still be writing into it, hence the retries). */
export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  made.delete(dir);
}

function removeAll(): void {
  for (const dir of made) removeTempDir(dir);
}

if (process.env.VITEST) afterAll(removeAll);
else process.on('exit', removeAll);
