#!/usr/bin/env node
// Makes sure better-sqlite3's native addon matches the runtime about to load it.
//   node scripts/native.mjs node      — tests, `serve`: the copy in node_modules must load under this Node.
//   node scripts/native.mjs electron  — `npm start`: a copy built for Electron's ABI, kept apart in
//                                       .native/electron so switching back to Node needs no rebuild.
// Both are no-ops when the right build is already there.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const target = process.argv[2] ?? 'node';
const pkgDir = dirname(require.resolve('better-sqlite3/package.json'));
const built = join(pkgDir, 'build', 'Release', 'better_sqlite3.node');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function loadsUnderNode() {
  const probe = spawnSync(process.execPath, ['-e', "new (require('better-sqlite3'))(':memory:').close()"], { cwd: process.cwd(), stdio: 'pipe' });
  return probe.status === 0;
}

if (target === 'node') {
  if (loadsUnderNode()) process.exit(0);
  console.log('[native] better-sqlite3 does not load under this Node; rebuilding it for Node…');
  execFileSync(npm, ['rebuild', 'better-sqlite3'], { stdio: 'inherit' });
  if (!loadsUnderNode()) {
    console.error('[native] better-sqlite3 still fails to load. Install python3, make and a C++ compiler, then run: npm rebuild better-sqlite3');
    process.exit(1);
  }
} else if (target === 'electron') {
  const electronVersion = JSON.parse(readFileSync(require.resolve('electron/package.json'), 'utf8')).version;
  const outDir = join(process.cwd(), '.native', 'electron');
  const out = join(outDir, 'better_sqlite3.node');
  const stamp = join(outDir, 'version');
  if (existsSync(out) && existsSync(stamp) && readFileSync(stamp, 'utf8') === electronVersion) process.exit(0);
  console.log(`[native] building better-sqlite3 for Electron ${electronVersion} (one time)…`);
  mkdirSync(outDir, { recursive: true });
  // Build into a scratch copy so node_modules keeps the Node build used by tests and `serve`.
  const scratch = join(process.cwd(), '.native', 'scratch');
  execFileSync('cp', ['-R', pkgDir, scratch]);
  const env = { ...process.env, npm_config_runtime: 'electron', npm_config_target: electronVersion, npm_config_disturl: 'https://electronjs.org/headers', npm_config_nodedir: '' };
  const prebuilt = spawnSync(join(pkgDir, '..', '.bin', 'prebuild-install'), ['--runtime', 'electron', '--target', electronVersion], { cwd: scratch, env, stdio: 'inherit' });
  if (prebuilt.status !== 0) execFileSync(join(pkgDir, '..', '.bin', 'node-gyp'), ['rebuild', '--release', `--target=${electronVersion}`, '--runtime=electron', '--dist-url=https://electronjs.org/headers'], { cwd: scratch, env, stdio: 'inherit' });
  copyFileSync(join(scratch, 'build', 'Release', 'better_sqlite3.node'), out);
  writeFileSync(stamp, electronVersion);
  execFileSync('rm', ['-rf', scratch]);
  if (!existsSync(built)) console.warn('[native] note: the Node build is missing; tests will rebuild it.');
}
