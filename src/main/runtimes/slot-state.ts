import type { RuntimeErrorInfo, RuntimeState } from '../../shared/api/runtimes';
import type { Endpoint, VllmFlags } from './adapters';
import type { ProcessExit, SupervisedProcess } from './supervisor';

/** A process Switchyard started (or adopted from its previous session) and supervises. */
export interface Run {
  readonly proc: SupervisedProcess;
  /** its row in runtime_processes (the exit is recorded there) */
  readonly rowId: number;
  readonly endpoint: Endpoint;
  /** the model it serves (vLLM: from its command line; Ollama: the one loaded through its API) */
  readonly model: string | null;
  /** the per-model flags it was started with (a restart starts it the same way) */
  readonly flags: Partial<VllmFlags>;
  /** its arguments: an activation asking for other ones restarts it */
  readonly args: readonly string[];
  /** the API key it demands (vLLM's per-start key): probes, tests and the proxy send it; never shown */
  readonly apiKey: string | null;
  readonly startedAt: string;
}

/**
 * One runtime's state. Each transition builds the next value, so a field exists only where it means
 * something: a process only while one runs, a start's abort only while starting, a restart timer only
 * after a crash, missed probes only while ready.
 */
export type SlotState =
  | { readonly state: 'not_installed' }
  | { readonly state: 'stopped'; readonly lastError: RuntimeErrorInfo | null }
  | { readonly state: 'starting'; readonly run: Run; readonly abort: AbortController }
  | { readonly state: 'ready'; readonly run: Run; readonly version: string | null; readonly missed: number }
  /** it stopped answering its health probe (hung, SIGSTOP'd, swapped out): requests would hang */
  | { readonly state: 'unresponsive'; readonly run: Run; readonly version: string | null; readonly since: string }
  | { readonly state: 'stopping'; readonly run: Run }
  | {
      readonly state: 'crashed';
      readonly lastError: RuntimeErrorInfo;
      /** what the crashed process served, for the automatic restart */
      readonly last: Pick<Run, 'model' | 'flags'> | null;
      readonly restartTimer: NodeJS.Timeout | null;
    }
  /** started by someone else and adopted (an adapter capability: `identifyExternal`) */
  | { readonly state: 'external'; readonly endpoint: Endpoint; readonly version: string | null; readonly model: string | null; readonly missed: number };

export type WithRun = Extract<SlotState, { run: Run }>;

export function runOf(s: SlotState): Run | null {
  return 'run' in s ? s.run : null;
}

/** "Up": answers on its API (`ready` or `external`); `unresponsive` is not. */
export function slotUp(s: SlotState): s is Extract<SlotState, { state: 'ready' | 'external' }> {
  return s.state === 'ready' || s.state === 'external';
}

export function modelOf(s: SlotState): string | null {
  if ('run' in s) return s.run.model;
  if (s.state === 'external') return s.model;
  return null;
}

export function versionOf(s: SlotState): string | null {
  return 'version' in s ? s.version : null;
}

export function lastErrorOf(s: SlotState): RuntimeErrorInfo | null {
  return 'lastError' in s ? s.lastError : null;
}

export const stateName = (s: SlotState): RuntimeState => s.state;

export function describeExit(exit: ProcessExit): string {
  if (exit.signal) return `signal ${exit.signal}`;
  if (exit.code !== null) return `exit code ${exit.code}`;
  return 'exit status unknown';
}

export function lastLineHint(lines: string[]): string {
  const meaningful = [...lines].reverse().find((l) => !l.startsWith('---- switchyard'));
  return meaningful ? `Last log line: ${meaningful.slice(0, 300)}` : 'See the runtime log.';
}
