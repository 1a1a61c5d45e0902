import type { Settings } from '../../shared/settings';
import { flagArgs, flagsFromSettings } from '../../shared/vllm-flags';
import type { VllmFlags } from './adapters';

/**
 * The command line of a vLLM launch after the program: `serve <model or folder> --host … --port …
 * --served-model-name <model>`, the flag table's flags (Settings under `flags`), the pinned revision,
 * then the extra arguments. One function, so the launch preview a model page shows is the argv the
 * supervisor runs.
 */
export function vllmServeArgs(vllm: Settings['vllm'], model: string, flags: Partial<VllmFlags>): string[] {
  const v: Partial<VllmFlags> = { ...flagsFromSettings(vllm), ...stripUndefined(flags) };
  const args = ['serve', v.path ?? model, '--host', vllm.host, '--port', String(vllm.port), '--served-model-name', model, ...flagArgs(v)];
  if (v.revision != null) {
    // offline, vLLM resolves model and tokenizer at the revision given, else through refs/main
    args.push('--revision', v.revision, '--tokenizer-revision', v.revision);
    if (v.trust_remote_code) args.push('--code-revision', v.revision);
  }
  // a model's own extra arguments replace those of Settings (they were written for that model)
  args.push(...(v.extra_args?.length ? v.extra_args : vllm.extraArgs));
  return args;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
