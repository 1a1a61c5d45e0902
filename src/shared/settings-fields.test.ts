import { describe, expect, it } from 'vitest';
import { fieldsOf, formatFieldValue, groupsOf, parseFieldInput, serverMessageSentence } from './settings-fields';
import { Settings } from './settings';

const defaults = Settings.parse({});
const spec = (group: keyof typeof defaults, key: string) => fieldsOf(group, defaults[group] as Record<string, unknown>).find((f) => f.key === key)!;

describe('settings fields from the schema', () => {
  it('lists every group and field, with a kind from its schema', () => {
    expect(groupsOf(defaults)).toEqual(Object.keys(Settings.shape));
    expect(spec('vllm', 'port').kind).toEqual({ kind: 'number', integer: true });
    expect(spec('vllm', 'gpuMemoryUtilization').kind).toEqual({ kind: 'number', integer: false });
    expect(spec('vllm', 'dtype').kind).toMatchObject({ kind: 'enum', options: expect.arrayContaining(['auto', 'bfloat16']) });
    expect(spec('vllm', 'extraArgs').kind).toEqual({ kind: 'list' });
    expect(spec('ollama', 'env').kind).toEqual({ kind: 'map' });
    expect(spec('catalog', 'offline').kind).toEqual({ kind: 'bool' });
    expect(spec('hub', 'endpoint').kind).toEqual({ kind: 'text' });
  });

  it('shows fields a newer core sends that this schema does not know', () => {
    const fields = fieldsOf('network', { proxy: null, noProxy: 'localhost', strictTls: true });
    expect(fields.map((f) => [f.key, f.kind.kind])).toEqual([['proxy', 'text'], ['noProxy', 'text'], ['strictTls', 'bool']]);
    expect(groupsOf({ ...defaults, network: {} })).toContain('network');
  });

  it('checks typed input and says what is wrong in a sentence', () => {
    expect(parseFieldInput(spec('vllm', 'gpuMemoryUtilization'), '1.5')).toEqual({ ok: false, error: 'Must be at most 1.' });
    expect(parseFieldInput(spec('vllm', 'gpuMemoryUtilization'), '0')).toEqual({ ok: false, error: 'Must be more than 0.' });
    expect(parseFieldInput(spec('vllm', 'gpuMemoryUtilization'), '')).toEqual({ ok: true, value: null });
    expect(parseFieldInput(spec('vllm', 'port'), '80.5')).toEqual({ ok: false, error: 'Must be a whole number.' });
    expect(parseFieldInput(spec('vllm', 'port'), 'abc')).toEqual({ ok: false, error: 'Must be a number.' });
    expect(parseFieldInput(spec('vllm', 'port'), '70000')).toEqual({ ok: false, error: 'Must be at most 65,535.' });
    expect(parseFieldInput(spec('ollama', 'port'), '')).toEqual({ ok: false, error: 'Must not be empty.' });
    expect(parseFieldInput(spec('vllm', 'tensorParallelSize'), '0')).toEqual({ ok: false, error: 'Must be at least 1.' });
    expect(parseFieldInput(spec('vllm', 'extraArgs'), '--enforce-eager\n\n --seed 3 ')).toEqual({ ok: true, value: ['--enforce-eager', '--seed 3'] });
    expect(parseFieldInput(spec('ollama', 'env'), 'OLLAMA_DEBUG=1\nA=b=c')).toEqual({ ok: true, value: { OLLAMA_DEBUG: '1', A: 'b=c' } });
    expect(parseFieldInput(spec('ollama', 'env'), 'nope')).toEqual({ ok: false, error: '"nope" is not KEY=value.' });
    expect(parseFieldInput(spec('vllm', 'dtype'), 'int3')).toMatchObject({ ok: false, error: expect.stringContaining('Must be one of: auto') });
    expect(formatFieldValue(spec('ollama', 'env'), { A: '1', B: '2' })).toBe('A=1\nB=2');
    expect(parseFieldInput(spec('network', 'proxy'), 'proxy.corp:3128')).toEqual({ ok: false, error: 'Must be a proxy URL such as http://proxy.example:3128.' });
    expect(parseFieldInput(spec('network', 'proxy'), '')).toEqual({ ok: true, value: null });
  });

  it('turns the server validation message into the same sentence', () => {
    expect(serverMessageSentence('Too big: expected number to be <=1')).toBe('Must be at most 1.');
    expect(serverMessageSentence('Too small: expected number to be >0')).toBe('Must be more than 0.');
    expect(serverMessageSentence('Too small: expected number to be >=1000')).toBe('Must be at least 1,000.');
    expect(serverMessageSentence('Invalid input: expected number, received string')).toBe('Must be a number.');
  });
});
