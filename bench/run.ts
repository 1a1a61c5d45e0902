// Runs the benchmarks in bench/, each in its own process, one after the other:
//   npm run bench                   every bench at a small size (a few minutes on 2 cores)
//   npm run bench -- proxy download only those
//   BENCH_FULL=1 npm run bench      the sizes the README's figures were measured at
// A size set in the environment (ROUNDS, SIZE_MIB, MODELS, …) wins over both.
import { spawnSync } from 'node:child_process';

/** Small sizes: enough to see each ratio against its baseline, not enough for stable tails. */
const SMALL: Record<string, Record<string, string>> = {
  runtimes: { ROUNDS: '3' },
  download: { SIZE_MIB: '128', ROUNDS: '1' },
  'catalog-search': { MODELS: '5000', QUERIES: '100' },
  proxy: { REQUESTS: '30', BATCHES: '2', BLOCKS: '2' },
  'gpu-sampler': { SECONDS: '5' },
  router: { LOOKUPS: '500000' },
  'first-load': { ROUNDS: '5' },
};

const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !(name in SMALL));
if (unknown.length) {
  console.error(`unknown bench ${unknown.join(', ')}: choose from ${Object.keys(SMALL).join(', ')}`);
  process.exit(2);
}
const full = process.env.BENCH_FULL === '1';
const failed: string[] = [];
for (const name of wanted.length ? wanted : Object.keys(SMALL)) {
  const sizes = full ? {} : SMALL[name]!;
  const env = { ...process.env };
  for (const [key, value] of Object.entries(sizes)) env[key] ??= value;
  console.log(`\n== bench/${name}.ts ${Object.entries(sizes).map(([k]) => `${k}=${env[k]}`).join(' ')}`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', `bench/${name}.ts`], { stdio: 'inherit', env });
  if (result.status !== 0) failed.push(`${name} (exit ${result.status ?? result.signal})`);
}
// A bench exits non-zero when it crashed or, for catalog-search, when its target was missed (see its output).
if (failed.length) console.error(`\nnon-zero exit: ${failed.join(', ')}`);
process.exit(failed.length ? 1 : 0);
