import type { Operation } from '../../src/shared/api/models';
import type { TestCore } from './core';
import { waitFor } from './wait';

/** Polls an operation through the API until it reaches a final state (or `until` holds). */
export async function waitForOperation(t: TestCore, id: string, until: (op: Operation) => boolean = (op) => ['completed', 'failed', 'cancelled'].includes(op.status), timeoutMs = 30_000): Promise<Operation> {
  return waitFor(
    async () => {
      const res = await t.call<{ operation: Operation }>('GET', `/api/v1/models/operations/${id}`);
      return res.status === 200 && until(res.body.operation) ? res.body.operation : null;
    },
    `operation ${id}`,
    timeoutMs,
    25,
  );
}

export async function install(t: TestCore, body: Record<string, unknown>): Promise<string> {
  const res = await t.call<{ operation_id: string; success: boolean; error?: unknown }>('POST', '/api/v1/models/registry/install', body);
  if (res.status !== 200) throw new Error(`install refused: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.operation_id;
}
