import { formatBytes } from '../../shared/format';
import { statfs } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { AppError } from '../../shared/errors';

const NAME = /^[\w\-.:/]+$/;

/** A driver's own naming rule (Hugging Face: `org/name`; Ollama: `[ns/]model[:tag]`). */
export interface NameRule {
  pattern: RegExp;
  /** what the refusal says: how its models are named, with an example */
  hint: string;
}

/**
 * Model names as the seed Venom validates them (`^[\w\-.:\/]+$`), plus: no `..`, no absolute path,
 * no empty segment; then the driver's own rule, if it has one.
 */
export function validateModelName(name: string, rule: NameRule | null | undefined): void {
  const bad = (why: string) => new AppError('invalid_name', `"${name}" is not a valid model name: ${why}.`);
  if (!name || name.length > 200) throw bad('it must have 1 to 200 characters');
  if (!NAME.test(name)) throw bad('only letters, digits and _ - . : / are allowed');
  if (name.includes('..')) throw bad('".." is not allowed');
  if (name.startsWith('/') || /^[A-Za-z]:[\\/]/.test(name)) throw bad('absolute paths are not allowed');
  if (name.split('/').some((p) => p === '' || p === '.')) throw bad('empty or "." path segments are not allowed');
  if (rule && !rule.pattern.test(name)) throw bad(rule.hint);
}

export interface DiskInfo {
  path: string;
  total_bytes: number;
  free_bytes: number;
}

/** Free space of the filesystem holding `dir` (or its nearest existing parent). */
export async function diskInfo(dir: string): Promise<DiskInfo> {
  let probe = dir;
  while (!existsSync(probe) && dirname(probe) !== probe) probe = dirname(probe);
  const s = await statfs(probe);
  return { path: dir, total_bytes: s.blocks * s.bsize, free_bytes: s.bavail * s.bsize };
}

export interface QuotaInput {
  disk: DiskInfo;
  /** bytes the install still has to write */
  needed: number;
  /** bytes already used by managed models (for the cap) */
  used: number;
  minFreePercent: number;
  maxStorageBytes: number | null;
}

/** Why an install would be refused, or null. Refuse before starting, never halfway. */
export function quotaRefusal(q: QuotaInput): AppError | null {
  const gib = formatBytes;
  if (q.needed > q.disk.free_bytes) {
    return new AppError('insufficient_disk', `Not enough disk space: the install needs ${gib(q.needed)}, ${gib(q.disk.free_bytes)} are free on ${q.disk.path}. Free some space or remove models.`);
  }
  if (q.maxStorageBytes !== null && q.used + q.needed > q.maxStorageBytes) {
    return new AppError(
      'quota_exceeded',
      `The install (${gib(q.needed)}) would exceed the storage cap of ${gib(q.maxStorageBytes)} (models use ${gib(q.used)}). Remove models or raise Settings → Downloads → max storage.`,
    );
  }
  const freeAfter = q.disk.free_bytes - q.needed;
  if (q.disk.total_bytes > 0 && (freeAfter / q.disk.total_bytes) * 100 < q.minFreePercent) {
    return new AppError(
      'quota_exceeded',
      `The install would leave ${gib(freeAfter)} free on ${q.disk.path}, under the ${q.minFreePercent}% minimum. Free some space, remove models, or lower Settings → Downloads → minimum free.`,
    );
  }
  return null;
}

/** The first refusal among `checks` (each throws an AppError), as a plan reports it, or null. */
export function refusalOf(...checks: (() => void)[]): { code: string; message: string } | null {
  for (const check of checks) {
    try {
      check();
    } catch (error) {
      if (error instanceof AppError) return { code: error.code, message: error.message };
      throw error;
    }
  }
  return null;
}
