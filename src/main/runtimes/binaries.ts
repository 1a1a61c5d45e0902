import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

/** Finds an executable: an explicit path, or a bare name searched on PATH (like `which`). */
export function resolveBinary(nameOrPath: string, envPath: string | undefined): string | null {
  if (nameOrPath.includes('/') || isAbsolute(nameOrPath)) {
    const full = resolve(nameOrPath);
    return isExecutable(full) ? full : null;
  }
  for (const dir of (envPath ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, nameOrPath);
    if (isExecutable(candidate)) return candidate;
  }
  return null;
}

function isExecutable(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
