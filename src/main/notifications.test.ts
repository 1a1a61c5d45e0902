import { describe, expect, it } from 'vitest';
import type { Operation } from '../shared/api/models';
import type { RuntimeInfo } from '../shared/api/runtimes';
import { NotificationPolicy } from './notifications';

const op = (o: Partial<Operation>): Operation => ({
  operation_id: 'op1',
  model_name: 'Qwen/Qwen3-0.6B',
  operation_type: 'install',
  provider: 'huggingface',
  runtime: 'vllm',
  status: 'in_progress',
  progress: 40,
  message: 'downloading',
  error: null,
  bytes_done: 1,
  bytes_total: 2,
  speed_bps: null,
  eta_seconds: null,
  created_at: '',
  started_at: null,
  updated_at: '',
  finished_at: null,
  ...o,
});

const runtime = (r: Partial<RuntimeInfo>): RuntimeInfo => ({
  name: 'vllm',
  state: 'ready',
  active: true,
  owned: true,
  pid: 1,
  host: '127.0.0.1',
  port: 8000,
  base_url: 'http://127.0.0.1:8000',
  version: null,
  binary: 'vllm',
  model: 'm',
  last_model: 'm',
  started_at: null,
  restarts: 0,
  last_error: null,
  ...r,
});

describe('desktop notifications', () => {
  it('tells a finished or failed install once, never its progress', () => {
    const p = new NotificationPolicy();
    expect(p.noticeFor({ type: 'operation.updated', operation: op({}) })).toBeNull();
    const done = p.noticeFor({ type: 'operation.updated', operation: op({ status: 'completed', progress: 100 }) });
    expect(done).toEqual({ title: 'Install finished', body: 'Qwen/Qwen3-0.6B is installed.', urgent: false });
    expect(p.noticeFor({ type: 'operation.updated', operation: op({ status: 'completed', progress: 100 }) })).toBeNull();
    const failed = p.noticeFor({ type: 'operation.updated', operation: op({ operation_id: 'op2', status: 'failed', error: { code: 'checksum_mismatch', message: 'sha256 mismatch' } }) });
    expect(failed).toMatchObject({ title: 'Install failed', urgent: true, body: 'Qwen/Qwen3-0.6B: sha256 mismatch' });
    expect(p.noticeFor({ type: 'operation.updated', operation: op({ operation_id: 'op3', status: 'cancelled' }) })).toBeNull();
  });

  it('tells an activation that is served or failed, not one that was superseded', () => {
    const p = new NotificationPolicy();
    const base = { type: 'model.activation' as const, model: 'llama3.2:1b', runtime: 'ollama' as const, slot: 'chat' as const, message: 'x', error: null };
    expect(p.noticeFor({ ...base, phase: 'loading' })).toBeNull();
    expect(p.noticeFor({ ...base, phase: 'serving' })).toMatchObject({ title: 'Model ready', body: 'llama3.2:1b is served by Ollama.' });
    expect(p.noticeFor({ ...base, phase: 'failed', message: 'CUDA out of memory', error: { code: 'runtime_failed', message: 'CUDA out of memory' } })).toMatchObject({ urgent: true, body: 'CUDA out of memory' });
    expect(p.noticeFor({ ...base, phase: 'failed', error: { code: 'cancelled', message: 'superseded' } })).toBeNull();
  });

  it('tells a runtime crash once per crash, not a stop or a failed start', () => {
    const p = new NotificationPolicy();
    const crash = runtime({ state: 'crashed', last_error: { code: 'crashed', message: 'vLLM exited unexpectedly (exit code 1).', at: 't1' } });
    expect(p.noticeFor({ type: 'runtime.state', runtime: crash })).toMatchObject({ title: 'vLLM crashed', urgent: true });
    expect(p.noticeFor({ type: 'runtime.state', runtime: crash })).toBeNull();
    expect(p.noticeFor({ type: 'runtime.state', runtime: { ...crash, last_error: { ...crash.last_error!, at: 't2' } } })).not.toBeNull();
    expect(p.noticeFor({ type: 'runtime.state', runtime: runtime({ state: 'stopped' }) })).toBeNull();
    // a start that failed is answered to whoever started it (and an activation notice covers it)
    expect(p.noticeFor({ type: 'runtime.state', runtime: runtime({ state: 'crashed', last_error: { code: 'runtime_failed', message: 'x', at: 't3' } }) })).toBeNull();
  });
});
