import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The shell tests run the built main process: build it first when a source changed since the last build. */
export default function setup(): void {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const build = spawnSync(process.execPath, ['scripts/build-if-changed.mjs'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (build.status !== 0) throw new Error(`the build failed (exit ${build.status}): the shell tests need out/main/index.js`);
}
