import { afterAll, afterEach, beforeAll } from 'vitest';
import { startFakeHub, type FakeHub } from '../fixtures/hub/server.mjs';

/**
 * One fake Hub for a test file: started before its first test, closed after its last, its request
 * counters reset after each test. `onStart` hands it to the file (`let hub; useFakeHub((h) => (hub = h))`).
 */
export function useFakeHub(onStart: (hub: FakeHub) => void, options?: Parameters<typeof startFakeHub>[0]): void {
  let hub: FakeHub | null = null;
  beforeAll(async () => {
    hub = await startFakeHub(options);
    onStart(hub);
  });
  afterAll(async () => {
    await hub?.close();
  });
  afterEach(() => {
    hub?.resetStats();
  });
}
