import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createHasher, hashThreadUtilization, InlineHasher, WorkerHasher } from './hasher';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const shared = (b: Buffer) => {
  const s = Buffer.from(new SharedArrayBuffer(b.length));
  b.copy(s);
  return s;
};

let dir = '';
afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

describe.each([
  ['the hash thread', 'thread' as const],
  ['the event loop', 'inline' as const],
])('hashing on %s', (_name, where) => {
  it('gives the digest of the bytes fed in order, shared or not, and of spans read from the file', async () => {
    dir = mkdtempSync(join(tmpdir(), 'hasher-'));
    const data = randomBytes(3 * 1024 * 1024 + 17);
    const path = join(dir, 'f');
    writeFileSync(path, data);
    const file = await open(path, 'r');
    const h = createHasher({ algorithm: 'sha256', prefix: null }, where);
    expect(h).toBeInstanceOf(where === 'thread' ? WorkerHasher : InlineHasher);
    let done = 0;
    h.update(shared(data.subarray(0, 1000)), () => done++);
    h.update(data.subarray(1000, 500_000), () => done++); // not shared: copied for the thread
    await h.fromFile(file, path, 500_000, 2_000_000);
    h.update(shared(data.subarray(2_000_000)), () => done++);
    expect(await h.digest()).toBe(sha256(data));
    expect(done).toBe(3);
    await file.close();
  });

  it('a git blob: the prefix first; reset starts over', async () => {
    const data = Buffer.from('hello\n');
    const h = createHasher({ algorithm: 'sha1', prefix: `blob ${data.length}\0` }, where);
    h.update(shared(Buffer.from('garbage')), () => {});
    h.reset();
    h.update(shared(data), () => {});
    // git hash-object of "hello\n"
    expect(await h.digest()).toBe('ce013625030ba8dba906f756967f9e9ca394464a');
  });

  it('a span past the end of the file fails, naming the file', async () => {
    dir = mkdtempSync(join(tmpdir(), 'hasher-'));
    const path = join(dir, 'short');
    writeFileSync(path, Buffer.alloc(100));
    const file = await open(path, 'r');
    const h = createHasher({ algorithm: 'sha256', prefix: null }, where);
    await expect(h.fromFile(file, path, 0, 200)).rejects.toThrow(`${path} ends at 100`);
    h.close();
    await file.close();
  });
});

describe('the hash thread', () => {
  it('says a shared span is hashed only once it is: the bytes may be reused after, not before', async () => {
    const data = randomBytes(4 * 1024 * 1024);
    const buf = shared(data);
    const h = createHasher({ algorithm: 'sha256', prefix: null }, 'thread');
    let done = false;
    h.update(buf, () => {
      done = true;
      buf.fill(0); // the reader's buffer goes back to the socket and is overwritten
    });
    expect(done).toBe(false); // hashed later, on the thread
    expect(await h.digest()).toBe(sha256(data));
    expect(done).toBe(true);
  });

  it('frees spans as it goes, not all that one turn fed at once (the socket waits for its buffers)', async () => {
    const data = randomBytes(8 * 512 * 1024);
    const h = createHasher({ algorithm: 'sha256', prefix: null }, 'thread');
    let done = 0;
    let doneWhenFirstWas = -1;
    for (let i = 0; i < 8; i++) {
      // all fed in one event-loop turn, as a socket's reads of one poll are
      h.update(shared(data.subarray(i * 524288, (i + 1) * 524288)), () => {
        done++;
        // runs once the answer that freed the first span has been handled
        if (i === 0) queueMicrotask(() => (doneWhenFirstWas = done));
      });
    }
    expect(await h.digest()).toBe(sha256(data));
    expect(done).toBe(8);
    expect(doneWhenFirstWas).toBeGreaterThan(0);
    expect(doneWhenFirstWas).toBeLessThan(8);
  });

  it('hashes several blobs side by side without mixing them', async () => {
    const a = randomBytes(1024 * 1024);
    const b = randomBytes(1024 * 1024);
    const ha = createHasher({ algorithm: 'sha256', prefix: null }, 'thread');
    const hb = createHasher({ algorithm: 'sha256', prefix: null }, 'thread');
    for (let i = 0; i < 4; i++) {
      ha.update(shared(a.subarray(i * 262144, (i + 1) * 262144)), () => {});
      hb.update(shared(b.subarray(i * 262144, (i + 1) * 262144)), () => {});
    }
    expect(await Promise.all([ha.digest(), hb.digest()])).toEqual([sha256(a), sha256(b)]);
  });

  it('tells how busy it was since the last asking: part of the time while hashing, none while idle', async () => {
    const busy = hashThreadUtilization();
    const h = createHasher({ algorithm: 'sha256', prefix: null }, 'thread');
    const data = shared(randomBytes(32 * 1024 * 1024));
    h.update(data, () => {});
    await h.digest();
    const whileHashing = busy();
    expect(whileHashing).toBeGreaterThan(0);
    expect(whileHashing).toBeLessThanOrEqual(1);
    expect(busy()).toBe(0); // nothing hashed since
  });
});
