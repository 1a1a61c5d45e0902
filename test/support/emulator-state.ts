import { existsSync, readFileSync } from 'node:fs';

/** One line an emulator appended to its EMU_STATE_FILE (test/fixtures/emulators/common.mjs `stateEvent`). */
export interface EmulatorEvent {
  event: string;
  pid: number;
  ts: number;
  args?: string[];
  [field: string]: unknown;
}

/**
 * The events in an emulator's state file so far. Only newline-terminated lines count: an emulator may be
 * in the middle of appending one while a test reads, and half a line is not JSON yet.
 */
export function emulatorEvents(stateFile: string): EmulatorEvent[] {
  if (!existsSync(stateFile)) return [];
  const lines = readFileSync(stateFile, 'utf8').split('\n');
  lines.pop(); // the text after the last newline: empty, or a line still being written
  return lines.filter(Boolean).map((line) => JSON.parse(line) as EmulatorEvent);
}
