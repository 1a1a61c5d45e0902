import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { LogLine } from '../../shared/api/runtimes';
import { RuntimeLog } from './log-store';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function setup(maxBytes = 1024 * 1024) {
  const dir = mkdtempSync(join(tmpdir(), 'logstore-'));
  dirs.push(dir);
  const seen: LogLine[] = [];
  const log = new RuntimeLog('vllm', dir, () => maxBytes, (l) => seen.push(l), 10);
  return { dir, log, seen };
}

describe('RuntimeLog', () => {
  it('turns appended bytes into lines, keeping partial lines until they end', () => {
    const { log, seen } = setup();
    log.prepareForSpawn('vllm serve x');
    log.follow(42);
    appendFileSync(log.file, 'INFO one\nINFO tw');
    (log as unknown as { drain(): void }).drain();
    appendFileSync(log.file, 'o\n');
    log.finish('process 42 exited (exit code 0)');
    expect(seen.map((l) => l.line)).toEqual(['---- switchyard: starting vllm serve x', 'INFO one', 'INFO two', '---- switchyard: process 42 exited (exit code 0)']);
    expect(seen[1]).toMatchObject({ runtime: 'vllm', pid: 42 });
    expect(log.tailText(2)).toEqual(['INFO two', '---- switchyard: process 42 exited (exit code 0)']);
  });

  it('follows a fresh spawn from the end of the old file', () => {
    const { log, seen } = setup();
    writeFileSync(log.file, 'old run\n');
    log.prepareForSpawn('ollama serve');
    log.follow(1);
    appendFileSync(log.file, 'new run\n');
    log.finish();
    expect(seen.map((l) => l.line)).not.toContain('old run');
    expect(seen.map((l) => l.line)).toContain('new run');
  });

  it('rotates a large file by copy+truncate while the runtime keeps appending', () => {
    const { dir, log } = setup(64 * 1024);
    log.prepareForSpawn('vllm serve x');
    log.follow(1);
    appendFileSync(log.file, `${'x'.repeat(100)}\n`.repeat(1000));
    (log as unknown as { drain(): void }).drain();
    expect(existsSync(join(dir, 'vllm.1.log'))).toBe(true);
    expect(readFileSync(log.file, 'utf8')).toBe('');
    appendFileSync(log.file, 'after rotation\n');
    log.finish();
    expect(log.tailText(1)).toEqual(['after rotation']);
  });
});
