// CPU cost of the GPU sampler at 1 Hz (target ≤ 1 % of one core), against an idle baseline in the same run.
//   npx tsx bench/gpu-sampler.ts            (SECONDS=20 by default)
// Uses the fake nvidia-smi (test/fixtures/bin) on PATH. Measures this process's CPU time (parsing,
// history, events, the per-process poll's bookkeeping) and, separately, the nvidia-smi children's CPU.
// The emulator is a Node script, so its own CPU (≈ a Node runtime idling in a timer loop) overstates what
// the real C binary costs; it is reported for completeness, not counted against the target.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GpuSampler } from '../src/main/system/gpu-sampler';
import { EventBus } from '../src/main/events';
import { createLogger } from '../src/main/logger';
import { FIXTURES } from '../test/support/core';

const SECONDS = Number(process.env.SECONDS ?? 20);
const CLK_TCK = 100;

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** utime+stime of a live process, in ms (Linux /proc). */
function procCpuMs(pid: number): number {
  try {
    const rest = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(rest[11]) + Number(rest[12])) * 1000) / CLK_TCK;
  } catch {
    return 0;
  }
}

async function window(seconds: number, during?: () => number): Promise<{ self: number; child: number }> {
  const c0 = cpuMs();
  const k0 = during?.() ?? 0;
  await new Promise((r) => setTimeout(r, seconds * 1000));
  return { self: cpuMs() - c0, child: (during?.() ?? 0) - k0 };
}

async function main() {
  const half = SECONDS / 2;
  const idle = await window(half);
  const events = new EventBus();
  let emitted = 0;
  events.on(() => emitted++);
  const sampler = new GpuSampler({
    events,
    logger: createLogger({ level: 'silent' }),
    binary: () => 'nvidia-smi',
    env: { ...process.env, PATH: `${join(FIXTURES, 'bin')}:${process.env.PATH}`, EMU_GPU_COUNT: '2', EMU_GPU_PROCS: '{"4242":8000}' },
    runtimeGroups: () => [],
    intervalMs: 1_000,
  });
  sampler.start();
  await new Promise((r) => setTimeout(r, 1_500)); // past start-up
  const smiPid = (sampler as unknown as { proc: { pid: number } | null }).proc?.pid ?? 0;
  const busy = await window(SECONDS, () => procCpuMs(smiPid));
  const samples = sampler.history().length;
  await sampler.close();

  const idlePct = (idle.self / (half * 1000)) * 100;
  const busyPct = (busy.self / (SECONDS * 1000)) * 100;
  console.log(`gpu sampler bench: 1 Hz, 2 GPUs, ${SECONDS} s; ${samples} samples, ${emitted} events`);
  console.log(`Switchyard process CPU: idle baseline ${idlePct.toFixed(3)} % of a core, sampling ${busyPct.toFixed(3)} % → sampler cost ${(busyPct - idlePct).toFixed(3)} % (target ≤ 1 %)`);
  console.log(`  (includes the every-5 s --query-compute-apps spawn bookkeeping; ratio sampling/idle ${(busyPct / Math.max(idlePct, 0.001)).toFixed(2)})`);
  console.log(`nvidia-smi emulator process CPU (Node script, not the real binary): ${((busy.child / (SECONDS * 1000)) * 100).toFixed(3)} % of a core`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
