import { describe, expect, it, vi } from 'vitest';
import { tempDir } from '../support/temp';

/**
 * "Adding a vLLM flag touches the table and nothing else": the table gets two flags vLLM has and
 * Switchyard does not (a number and a switch), and everything that derives from it sees them.
 */
vi.mock('../../src/shared/vllm-flags/table', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/shared/vllm-flags/table')>();
  const { z } = await import('zod');
  return {
    ...original,
    VLLM_FLAGS: {
      ...original.VLLM_FLAGS,
      max_num_seqs: { cli: '--max-num-seqs', setting: 'maxNumSeqs', schema: z.number().int().min(1), label: 'Parallel sequences', help: 'empty: vLLM’s default' },
      enforce_eager: { cli: '--enforce-eager', setting: 'enforceEager', schema: z.boolean(), label: 'No CUDA graphs' },
    },
  };
});

const { Settings, SettingsPatch } = await import('../../src/shared/settings');
const { fieldsOf } = await import('../../src/shared/settings-fields');
const { RuntimeFlags } = await import('../../src/shared/api/models');
const { vllmAdapter } = await import('../../src/main/runtimes/adapters');
const { flagsFromSettings } = await import('../../src/shared/vllm-flags');
const { describeFlags } = await import('../../src/main/drivers/hf-vllm/hf-vllm-driver');
const { VLLM_SETTINGS_TEXT } = await import('../../src/main/drivers/hf-vllm/hf-vllm-driver');

// the types are those of the real table: values of the added flags pass as such
const added = (flags: Record<string, unknown>) => flags as never;

describe('a flag added to the vLLM flag table', () => {
  const settings = Settings.parse({ vllm: { maxNumSeqs: 64, enforceEager: true } });
  const cache = tempDir('flag-table-');

  it('is a setting, validated by its rule, shown with its label and input kind', () => {
    expect(settings.vllm).toMatchObject({ maxNumSeqs: 64, enforceEager: true });
    expect(Settings.parse({}).vllm).toMatchObject({ maxNumSeqs: null, enforceEager: null });
    expect(Settings.safeParse({ vllm: { maxNumSeqs: 0 } }).success).toBe(false);
    // a patch leaves the other fields alone (no default fills them in)
    expect(SettingsPatch.parse({ vllm: { maxNumSeqs: 8 } })).toEqual({ vllm: { maxNumSeqs: 8 } });
    const fields = fieldsOf('vllm', settings.vllm);
    expect(fields.find((f) => f.key === 'maxNumSeqs')?.kind).toEqual({ kind: 'number', integer: true });
    expect(fields.find((f) => f.key === 'enforceEager')?.kind).toEqual({ kind: 'bool' });
    expect(VLLM_SETTINGS_TEXT.fields?.maxNumSeqs).toEqual({ label: 'Parallel sequences (--max-num-seqs)', hint: 'empty: vLLM’s default' });
  });

  it('is an API flag of a model, with the same rule', () => {
    expect(RuntimeFlags.parse({ max_num_seqs: 16, enforce_eager: false })).toEqual({ max_num_seqs: 16, enforce_eager: false });
    expect(RuntimeFlags.safeParse({ max_num_seqs: 0 }).success).toBe(false);
    expect(flagsFromSettings(settings.vllm)).toMatchObject({ max_num_seqs: 64, enforce_eager: true });
  });

  it('reaches the launch arguments, a model’s value winning over Settings, and reads back from them', () => {
    const { args } = vllmAdapter.launch({ settings, model: 'org/m', env: {}, hfHubCache: cache, overrides: added({ max_num_seqs: 128 }) });
    expect(args.join(' ')).toContain('--max-num-seqs 128');
    expect(args).toContain('--enforce-eager');
    expect(vllmAdapter.launch({ settings, model: 'org/m', env: {}, hfHubCache: cache, overrides: added({ enforce_eager: false }) }).args).not.toContain('--enforce-eager');
    expect(vllmAdapter.flagsOf!(args)).toMatchObject({ max_num_seqs: 128, enforce_eager: true });
    expect(describeFlags(added({ max_num_seqs: 128, enforce_eager: true }))).toBe('--max-num-seqs 128 --enforce-eager');
  });
});
