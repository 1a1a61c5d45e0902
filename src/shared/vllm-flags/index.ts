import { z } from 'zod';
import { VLLM_FLAGS, type VllmFlagSpec } from './table';

export { VLLM_FLAGS, type VllmFlagSpec } from './table';

/**
 * What derives from the flag table (./table.ts). Nothing here names a flag: a new table entry reaches
 * the API schema, Settings, the launch, the parse-back and the labels through these functions.
 */
type Table = typeof VLLM_FLAGS;
export type VllmFlagName = keyof Table;

// read at call time, not import time, so every caller sees the same table (a test may extend it)
const entries = (): [string, VllmFlagSpec][] => Object.entries(VLLM_FLAGS);

/** The flag fields of the API's `RuntimeFlags`: each optional and nullable (absent or null = not set). */
export function runtimeFlagsShape(): { [K in VllmFlagName]: z.ZodOptional<z.ZodNullable<Table[K]['schema']>> } {
  return Object.fromEntries(entries().map(([name, f]) => [name, f.schema.nullable().optional()])) as never;
}

type SettingOf<K extends VllmFlagName> = Table[K]['setting'];
/** The flag fields of Settings › vLLM, keyed by their setting name, each null (not set) by default. */
export function vllmSettingsShape(): { [K in VllmFlagName as SettingOf<K> extends string ? SettingOf<K> : never]: z.ZodDefault<z.ZodNullable<Table[K]['schema']>> } {
  return Object.fromEntries(entries().flatMap(([, f]) => (f.setting ? [[f.setting, (f.schema.nullable() as z.ZodNullable<z.ZodType>).default(null)]] : []))) as never;
}

/** Flag values by API name; null or absent = not set (the flag part of `RuntimeFlags`). */
export type VllmFlagValues = { [K in VllmFlagName]?: z.infer<Table[K]['schema']> | null };
type AnyValues = Partial<Record<string, unknown>>;

const isSet = (v: unknown): boolean => v !== undefined && v !== null;

/** The flags Settings › vLLM sets (by API name), leaving out those it leaves empty. */
export function flagsFromSettings(vllm: object): VllmFlagValues {
  const settings = vllm as AnyValues;
  const out: AnyValues = {};
  for (const [name, f] of entries()) if (f.setting && isSet(settings[f.setting])) out[name] = settings[f.setting];
  return out as VllmFlagValues;
}

/** Launch arguments, in table order: `--flag value`, or a bare `--flag` for a boolean that is true. */
export function flagArgs(flags: VllmFlagValues): string[] {
  return flagParts(flags).flat();
}

/** The same as one line per flag (`--max-model-len 8192`), as a user would type them. */
export function flagLines(flags: VllmFlagValues): string[] {
  return flagParts(flags).map((p) => p.join(' '));
}

function flagParts(flags: VllmFlagValues): string[][] {
  const out: string[][] = [];
  for (const [name, f] of entries()) {
    const v = (flags as AnyValues)[name];
    if (!isSet(v) || v === false) continue;
    out.push(f.schema instanceof z.ZodBoolean ? [f.cli] : [f.cli, String(v)]);
  }
  return out;
}

/**
 * The table's flags found in a command line (a process Switchyard adopted), so that a restart
 * starts it the same way. `--flag value` and `--flag=value` both count; the last one wins, as in
 * vLLM's argparse. A value vLLM would refuse, or one we cannot read (`1k`), is left out.
 */
export function flagsFromArgs(args: readonly string[]): VllmFlagValues {
  const out: AnyValues = {};
  for (const [name, f] of entries()) {
    if (f.schema instanceof z.ZodBoolean) {
      if (args.includes(f.cli)) out[name] = true;
      continue;
    }
    let raw: string | undefined;
    args.forEach((a, i) => {
      // a following option is not a value: `--max-model-len --enforce-eager` is a usage error for vLLM
      if (a === f.cli && i + 1 < args.length && !args[i + 1]!.startsWith('--')) raw = args[i + 1];
      else if (a.startsWith(`${f.cli}=`)) raw = a.slice(f.cli.length + 1);
    });
    if (raw === undefined) continue;
    const parsed = f.schema.safeParse(f.schema instanceof z.ZodNumber ? Number(raw) : raw);
    if (parsed.success) out[name] = parsed.data;
  }
  return out as VllmFlagValues;
}

/** UI labels of the flags that are settings, keyed by their setting (`maxModelLen`): the vLLM driver's Settings texts. */
export function flagSettingLabels(): Record<string, { label: string; hint?: string }> {
  return Object.fromEntries(entries().flatMap(([, f]) => (f.setting ? [[f.setting, { label: `${f.label} (${f.cli})`, ...(f.help ? { hint: f.help } : {}) }]] : [])));
}
