import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findBinary } from './binaries';

let home: string;
afterEach(() => rmSync(home, { recursive: true, force: true }));

function exe(path: string): string {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, '#!/bin/sh\n');
  chmodSync(path, 0o755);
  return path;
}

describe('finding a runtime program', () => {
  it('prefers PATH, then looks in the places pipx, uv, venvs and conda install to', () => {
    home = mkdtempSync(join(tmpdir(), 'switchyard-bin-'));
    const env = { PATH: join(home, 'on-path') };
    expect(findBinary('vllm', env, home).path).toBeNull();

    const venv = exe(join(home, '.venv-vllm', 'bin', 'vllm'));
    expect(findBinary('vllm', env, home).path).toBe(venv);
    const conda = exe(join(home, 'miniconda3', 'envs', 'llm', 'bin', 'ollama'));
    expect(findBinary('ollama', env, home).path).toBe(conda);
    const uvTool = exe(join(home, '.local', 'share', 'uv', 'tools', 'vllm', 'bin', 'vllm'));
    expect(findBinary('vllm', env, home).path).toBe(uvTool);
    const local = exe(join(home, '.local', 'bin', 'vllm'));
    expect(findBinary('vllm', env, home).path).toBe(local);
    const onPath = exe(join(home, 'on-path', 'vllm'));
    const found = findBinary('vllm', env, home);
    expect(found.path).toBe(onPath);
    expect(found.searched[0]).toBe(join(home, 'on-path'));
  });

  it('skips files that are not executable, and says where it looked', () => {
    home = mkdtempSync(join(tmpdir(), 'switchyard-bin-'));
    mkdirSync(join(home, '.local', 'bin'), { recursive: true });
    writeFileSync(join(home, '.local', 'bin', 'ollama'), 'not a program');
    const result = findBinary('ollama', { PATH: '' }, home);
    expect(result.path).toBeNull();
    expect(result.searched).toEqual(expect.arrayContaining(['/usr/local/bin', join(home, '.local', 'bin')]));
  });
});
