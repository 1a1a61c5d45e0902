// Readiness-detection and stop latency of the supervisor, against the emulators' own timings.
//   npx tsx bench/runtimes.ts            (ROUNDS=10 by default)
// Readiness: the emulator logs the moment it starts listening ("listening" event in EMU_STATE_FILE);
// we measure how long after that Switchyard reports `ready`. Target ≤ 100 ms.
// Stop: the emulator's own exit time after SIGTERM vs Switchyard's stop() returning with the group
// empty. Target ≤ exit time + 100 ms, and never a survivor in the process group.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { groupMembers } from '../src/main/runtimes/process-group';
import { startTestCore } from '../test/support/core';

const rounds = Number(process.env.ROUNDS ?? 10);
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

interface StateEvent {
  event: string;
  ts: number;
}
const eventTime = (e: StateEvent) => e.ts;

async function main() {
  const readiness: Record<string, number[]> = { ollama: [], vllm: [] };
  const stopExtra: Record<string, number[]> = { ollama: [], vllm: [] };
  let survivors = 0;
  for (const runtime of ['ollama', 'vllm'] as const) {
    for (let i = 0; i < rounds; i++) {
      const tc = await startTestCore({ env: { EMU_START_DELAY_MS: '200', EMU_EXIT_DELAY_MS: '150' } });
      const stateFile = join(tc.dataDir, `state-${runtime}.jsonl`);
      tc.core.settings.update({ [runtime]: { env: { EMU_STATE_FILE: stateFile } } });
      await tc.core.runtimes.activate(runtime, { model: runtime === 'vllm' ? 'org/tiny-model' : null });
      const readyAt = Date.now();
      const events = readFileSync(stateFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as StateEvent);
      const listening = events.find((e) => e.event === 'listening');
      if (listening) readiness[runtime]!.push(readyAt - eventTime(listening));
      const pid = tc.core.runtimes.info(runtime).pid!;
      const stopStart = Date.now();
      await tc.core.runtimes.stop(runtime);
      const stopTook = Date.now() - stopStart;
      const exitEvent = readFileSync(stateFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as StateEvent).find((e) => e.event === 'exit');
      const ownExit = exitEvent ? eventTime(exitEvent) - stopStart : 150;
      stopExtra[runtime]!.push(stopTook - ownExit);
      if (groupMembers(pid).length > 0) survivors++;
      await tc.close();
      rmSync(tc.dataDir, { recursive: true, force: true });
    }
  }
  for (const runtime of ['ollama', 'vllm']) {
    const r = readiness[runtime]!;
    const s = stopExtra[runtime]!;
    console.log(`${runtime}: readiness after listening p50 ${pct(r, 50)} ms, max ${Math.max(...r)} ms (target ≤ 100 ms) over ${r.length} runs`);
    console.log(`${runtime}: stop beyond the runtime's own exit p50 ${pct(s, 50)} ms, max ${Math.max(...s)} ms (target ≤ 100 ms)`);
  }
  console.log(`survivors in process groups after stop: ${survivors} (target 0)`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
