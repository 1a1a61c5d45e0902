#!/usr/bin/env node
// `npm run serve` builds only when something the build reads changed since the last build: a
// fingerprint (path, size, mtime) of the sources and build config is kept beside the output. A build
// that fails leaves no fingerprint, so the next start builds again.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const INPUTS = ['src', 'resources', 'electron.vite.config.ts', 'tsconfig.json', 'package.json', 'package-lock.json'];
const OUTPUTS = ['out/main/serve.js', 'out/main/cli.js', 'out/main/index.js', 'out/renderer/index.html'];
const STAMP = join('out', '.build-fingerprint');

function* files(path) {
  if (!existsSync(path)) return;
  const stat = statSync(path);
  if (!stat.isDirectory()) {
    yield [path, stat];
    return;
  }
  for (const name of readdirSync(path).sort()) yield* files(join(path, name));
}

function fingerprint() {
  const hash = createHash('sha256');
  for (const input of INPUTS) for (const [path, stat] of files(input)) hash.update(`${path}\0${stat.size}\0${stat.mtimeMs}\n`);
  return hash.digest('hex');
}

const before = fingerprint();
const upToDate = existsSync(STAMP) && readFileSync(STAMP, 'utf8') === before && OUTPUTS.every((path) => existsSync(path));
if (!upToDate) {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  // The build's output goes to stderr so that `npm run cli -- … --json` keeps stdout for the answer.
  const build = spawnSync(npm, ['run', 'build', '--silent'], { stdio: ['ignore', 2, 2] });
  if (build.status !== 0) process.exit(build.status ?? 1);
  // Fingerprint of the inputs as they were when the build began: an edit during the build rebuilds next time.
  writeFileSync(STAMP, before);
}
