import { accessSync, constants, readdirSync, statSync } from 'node:fs';
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

export function isExecutable(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function subdirs(dir: string, filter: (name: string) => boolean = () => true): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => (e.isDirectory() || e.isSymbolicLink()) && filter(e.name))
      .map((e) => join(dir, e.name))
      .sort();
  } catch {
    return [];
  }
}

/**
 * The folders where a runtime installed the usual ways ends up, when it is not on the PATH the app
 * was started with (a desktop launcher's PATH often lacks ~/.local/bin and never has a venv):
 * system dirs, pipx and `uv tool` (their bin dir and their own venvs), ~/.venv*, conda envs, /opt/*.
 */
export function usualBinaryDirs(name: string, env: Record<string, string | undefined>, home: string): string[] {
  const dataHome = env.XDG_DATA_HOME || join(home, '.local', 'share');
  const condaRoots = [
    ...(env.CONDA_PREFIX ? [env.CONDA_PREFIX] : []),
    ...['miniconda3', 'anaconda3', 'miniforge3', 'mambaforge', 'micromamba', '.conda'].map((d) => join(home, d)),
    '/opt/conda',
  ];
  return [
    '/usr/local/bin',
    '/usr/bin',
    ...(env.XDG_BIN_HOME ? [env.XDG_BIN_HOME] : []),
    ...(env.PIPX_BIN_DIR ? [env.PIPX_BIN_DIR] : []),
    ...(env.UV_TOOL_BIN_DIR ? [env.UV_TOOL_BIN_DIR] : []),
    join(home, '.local', 'bin'),
    join(env.PIPX_HOME || join(dataHome, 'pipx'), 'venvs', name, 'bin'),
    join(home, '.local', 'pipx', 'venvs', name, 'bin'),
    join(env.UV_TOOL_DIR || join(dataHome, 'uv', 'tools'), name, 'bin'),
    ...subdirs(home, (n) => /^\.?venv/.test(n)).map((d) => join(d, 'bin')),
    ...condaRoots.flatMap((root) => [join(root, 'bin'), ...subdirs(join(root, 'envs')).map((d) => join(d, 'bin'))]),
    ...subdirs('/opt').map((d) => join(d, 'bin')),
  ];
}

export interface BinarySearch {
  /** the executable found, or null */
  path: string | null;
  /** every folder looked in, in order (PATH first) */
  searched: string[];
}

/** Looks for a runtime's program on PATH, then in the usual install places. */
export function findBinary(name: string, env: Record<string, string | undefined>, home: string): BinarySearch {
  const dirs = [...new Set([...(env.PATH ?? '').split(delimiter).filter(Boolean), ...usualBinaryDirs(name, env, home)])];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return { path: candidate, searched: dirs };
  }
  return { path: null, searched: dirs };
}

/** The program a runtime runs: the configured path or name, else the default name found on PATH or in the usual places. */
export function runtimeBinary(configured: string | null, defaultName: string, env: Record<string, string | undefined>, home: string): string | null {
  return configured ? resolveBinary(configured, env.PATH) : findBinary(defaultName, env, home).path;
}
