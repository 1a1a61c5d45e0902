import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** What a running Switchyard says about itself in its data dir (`instance.json`, see data-dir-lock.ts). */
export interface InstanceInfo {
  pid: number;
  /** where its API listens, once it does */
  url?: string;
}

export const INSTANCE_INFO_FILE = 'instance.json';

/** The holder's note in `dataDir`, or null when there is none (or it cannot be read). Not proof of life. */
export function readInstanceInfo(dataDir: string): InstanceInfo | null {
  try {
    const parsed = JSON.parse(readFileSync(join(dataDir, INSTANCE_INFO_FILE), 'utf8')) as Partial<InstanceInfo>;
    if (!Number.isInteger(parsed.pid)) return null;
    return { pid: parsed.pid!, ...(typeof parsed.url === 'string' ? { url: parsed.url } : {}) };
  } catch {
    return null;
  }
}
