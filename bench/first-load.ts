// First-screen load of the UI in Chromium, cold (a new browser context each time: nothing cached), on
// loopback (target: median ≤ 500 ms, ≤ 200 KB of JavaScript on the wire).
//   npm run build && npx tsx bench/first-load.ts          (ROUNDS=9 by default)
// Baseline in the same run: the same renderer built the way it was before issue 28 (one unminified
// bundle, no precompressed copies), served by the same Switchyard core from a second server. The two
// builds alternate round by round, so a busy moment of the machine hits both. A third page, `floor`, is
// the element the timer waits for and nothing else: what a cold context and a navigation cost here.
// Measured: navigation start → the Runtimes screen shows its runtimes (the default first screen).
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser } from '@playwright/test';
import react from '@vitejs/plugin-react';
import { build } from 'vite';
import { buildServer } from '../src/main/http/server';
import { startTestCore } from '../test/support/core';

const ROUNDS = Number(process.env.ROUNDS ?? 9);
const root = resolve(import.meta.dirname, '..');
const built = join(root, 'out', 'renderer');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** The renderer as it was built before: electron-vite's default (no minify), one file, no .br/.gz. */
async function baselineBuild(outDir: string): Promise<void> {
  await build({
    configFile: false,
    logLevel: 'warn',
    root: join(root, 'src', 'renderer'),
    plugins: [react()],
    build: { outDir, emptyOutDir: true, minify: false, rollupOptions: { output: { codeSplitting: false } } },
  });
}

interface Load {
  ms: number;
  jsWireBytes: number;
  scripts: number;
}

async function coldLoad(browser: Browser, url: string): Promise<Load> {
  const context = await browser.newContext();
  const page = await context.newPage();
  let jsWireBytes = 0;
  let scripts = 0;
  const sizes: Promise<void>[] = [];
  page.on('requestfinished', (request) => {
    if (request.resourceType() !== 'script') return;
    scripts += 1;
    sizes.push(request.sizes().then((s) => void (jsWireBytes += s.responseBodySize + s.responseHeadersSize)));
  });
  // the moment is taken in the page (a MutationObserver), not by polling from here: no round trip added
  await page.addInitScript(() => {
    new MutationObserver((_, observer) => {
      if (!document.querySelector('[data-testid="runtime-vllm"]')) return;
      (window as unknown as { shownAt: number }).shownAt = performance.now();
      observer.disconnect();
    }).observe(document, { childList: true, subtree: true });
  });
  await page.goto(url, { waitUntil: 'commit' });
  await page.getByTestId('runtime-vllm').waitFor();
  const ms = await page.evaluate(() => (window as unknown as { shownAt: number }).shownAt);
  await Promise.all(sizes);
  await context.close();
  return { ms, jsWireBytes, scripts };
}

async function main() {
  if (!existsSync(join(built, 'index.html'))) throw new Error('out/renderer is missing: run `npm run build` first');
  const baselineDir = mkdtempSync(join(tmpdir(), 'switchyard-bench-ui-'));
  await baselineBuild(baselineDir);
  const floorDir = mkdtempSync(join(tmpdir(), 'switchyard-bench-floor-'));
  writeFileSync(join(floorDir, 'index.html'), '<!doctype html><title>floor</title><div data-testid="runtime-vllm">floor</div>');
  const tc = await startTestCore();
  const servers = {
    current: await buildServer(tc.core, { rendererDir: built }),
    baseline: await buildServer(tc.core, { rendererDir: baselineDir }),
    floor: await buildServer(tc.core, { rendererDir: floorDir }),
  };
  const urls: Record<string, string> = {};
  for (const [name, app] of Object.entries(servers)) {
    const port = (await app.listen({ host: '127.0.0.1', port: 0 })).split(':').pop();
    urls[name] = `http://127.0.0.1:${port}/#token=${tc.token}`;
  }
  const browser = await chromium.launch({ executablePath: process.env.SWITCHYARD_CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
  const loads: Record<string, Load[]> = { current: [], baseline: [], floor: [] };
  try {
    // one untimed load of each: the server's first answers and Chromium's own start-up are not the UI's
    for (const name of ['baseline', 'current', 'floor']) await coldLoad(browser, urls[name]!);
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 ? ['current', 'baseline', 'floor'] : ['floor', 'baseline', 'current'];
      for (const name of order) loads[name]!.push(await coldLoad(browser, urls[name]!));
    }
  } finally {
    await browser.close();
    for (const app of Object.values(servers)) await app.close();
    await tc.close();
    rmSync(baselineDir, { recursive: true, force: true });
    rmSync(floorDir, { recursive: true, force: true });
  }
  const row = (name: string) => {
    const l = loads[name]!;
    const ms = l.map((x) => x.ms);
    return { name, median: median(ms), min: Math.min(...ms), max: Math.max(...ms), kib: l[0]!.jsWireBytes / 1024, scripts: l[0]!.scripts };
  };
  const [cur, base, floor] = [row('current'), row('baseline'), row('floor')];
  console.log(`first screen, cold, ${ROUNDS} loads each (median, min–max), JavaScript on the wire`);
  for (const r of [floor, base, cur]) {
    console.log(`  ${r.name.padEnd(9)} ${r.median.toFixed(0).padStart(5)} ms (${r.min.toFixed(0)}–${r.max.toFixed(0)})  ${r.kib.toFixed(1).padStart(7)} KiB in ${r.scripts} script(s)`);
  }
  console.log(`  current / baseline: time ${(cur.median / base.median).toFixed(2)} ×, JavaScript bytes ${(cur.kib / base.kib).toFixed(3)} ×; above the floor: ${(cur.median - floor.median).toFixed(0)} ms vs ${(base.median - floor.median).toFixed(0)} ms`);
  console.log(`  targets: median ≤ 500 ms ${cur.median <= 500 ? 'met' : 'MISSED'}, ≤ 200 KB JavaScript ${cur.kib * 1024 <= 200_000 ? 'met' : 'MISSED'}`);
}

await main();
