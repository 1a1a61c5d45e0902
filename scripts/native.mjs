#!/usr/bin/env node
// Makes sure the native pieces match the runtime about to load them. `.npmrc` sets ignore-scripts, so
// `npm ci` downloads nothing outside the npm registry; this script does the rest on first use:
//   node scripts/native.mjs node      — tests, `serve`: better-sqlite3 in node_modules must load under this Node.
//   node scripts/native.mjs electron  — `npm start`/`dev`: the Electron binary (downloaded once), and a
//                                       better-sqlite3 built for Electron's ABI, kept apart in .native/electron
//                                       so switching back to Node needs no rebuild.
// Both are no-ops when the right build is already there. Every failure ends in one sentence saying
// what is missing and how to get it, never a stack trace.
import { spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, cpSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { checkNodeVersion } from './node-version.mjs';

const require = createRequire(import.meta.url);
const target = process.argv[2] ?? 'node';
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function fail(sentence) {
  console.error(`[switchyard] ${sentence}`);
  process.exit(1);
}

/** Runs a command with its output shown; returns whether it succeeded (never throws). */
function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: 'inherit', ...options });
  return result.status === 0;
}

checkNodeVersion(fail);

const pkgDir = dirname(require.resolve('better-sqlite3/package.json'));

function loadsUnderNode() {
  const probe = spawnSync(process.execPath, ['-e', "new (require('better-sqlite3'))(':memory:').close()"], { cwd: process.cwd(), stdio: 'pipe' });
  return probe.status === 0;
}

function ensureNodeBuild() {
  if (loadsUnderNode()) return;
  console.log('[native] building better-sqlite3 for this Node (first run after npm ci; about a minute from source)…');
  // --ignore-scripts=false: the project's .npmrc turns install scripts off for `npm ci`.
  run(npm, ['rebuild', 'better-sqlite3', '--ignore-scripts=false']);
  if (!loadsUnderNode()) fail('better-sqlite3 could not be built for this Node: install python3, make and a C++ compiler (Debian: apt-get install python3 make g++), then run the command again.');
}

/** node-gyp as npm ships it (npm tells its scripts where; else beside this Node's npm), or null. */
function nodeGypScript() {
  const candidates = [
    process.env.npm_config_node_gyp,
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  return candidates.find((path) => path && existsSync(path)) ?? null;
}

/** The Electron binary path, or null when only the npm package (JS and types) is there. */
function electronBinary() {
  try {
    const path = require('electron');
    return typeof path === 'string' && existsSync(path) ? path : null;
  } catch {
    return null;
  }
}

function ensureElectronBinary() {
  if (electronBinary()) return;
  const electronDir = dirname(require.resolve('electron/package.json'));
  console.log('[native] downloading the Electron binary (one time)…');
  const download = spawnSync(process.execPath, ['install.js'], { cwd: electronDir, stdio: ['ignore', 'inherit', 'pipe'], encoding: 'utf8' });
  if (download.status === 0 && electronBinary()) return;
  const reason = (download.stderr ?? '').split('\n').find((line) => /Error/.test(line))?.trim() ?? `exit code ${download.status}`;
  fail(
    `The Electron binary is missing and could not be downloaded (${reason}): on a machine that reaches GitHub run \`npm start\` again ` +
      '(or set ELECTRON_MIRROR to a mirror you can reach); `npm run serve` runs the same app in a browser without it.',
  );
}

function ensureElectronBuild() {
  const electronVersion = JSON.parse(readFileSync(require.resolve('electron/package.json'), 'utf8')).version;
  const outDir = join(process.cwd(), '.native', 'electron');
  const out = join(outDir, 'better_sqlite3.node');
  const stamp = join(outDir, 'version');
  if (existsSync(out) && existsSync(stamp) && readFileSync(stamp, 'utf8') === electronVersion) return;
  console.log(`[native] building better-sqlite3 for Electron ${electronVersion} (one time)…`);
  mkdirSync(outDir, { recursive: true });
  // Build in a scratch copy so node_modules keeps the Node build used by tests and `serve`. The copy is
  // made afresh each try (a leftover one would receive the new copy inside it).
  const scratch = join(process.cwd(), '.native', 'scratch');
  rmSync(scratch, { recursive: true, force: true });
  cpSync(pkgDir, scratch, { recursive: true });
  const env = { ...process.env, npm_config_runtime: 'electron', npm_config_target: electronVersion, npm_config_disturl: 'https://electronjs.org/headers' };
  // The tools' own output goes to a log file: a failure ends in one sentence that names it.
  const logPath = join(outDir, 'build.log');
  const log = openSync(logPath, 'w');
  const quiet = { cwd: scratch, env, stdio: ['ignore', log, log] };
  const bin = join(dirname(pkgDir), '.bin');
  let ok = run(join(bin, 'prebuild-install'), ['--runtime', 'electron', '--target', electronVersion], quiet);
  const nodeGyp = nodeGypScript();
  if (!ok && nodeGyp) {
    ok = run(process.execPath, [nodeGyp, 'rebuild', '--release', `--target=${electronVersion}`, '--runtime=electron', '--dist-url=https://electronjs.org/headers'], quiet);
  }
  closeSync(log);
  const built = join(scratch, 'build', 'Release', 'better_sqlite3.node');
  const done = ok && existsSync(built);
  if (done) {
    copyFileSync(built, out);
    writeFileSync(stamp, electronVersion);
  }
  rmSync(scratch, { recursive: true, force: true });
  if (!done) {
    fail(`better-sqlite3 could not be built for Electron ${electronVersion}: this needs a download from GitHub or electronjs.org (prebuilt addon or Electron headers) plus python3, make and a C++ compiler (details in ${logPath}); run \`npm start\` again where those are available.`);
  }
}

if (target === 'node') {
  ensureNodeBuild();
} else if (target === 'electron') {
  ensureElectronBinary();
  ensureElectronBuild();
} else {
  fail(`unknown target "${target}": use node or electron.`);
}
