import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { deleteSnapshot, refsTo, removeRepoIfEmpty } from './cache-prune';

let cache: string;
afterEach(() => rmSync(cache, { recursive: true, force: true }));

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const repoDir = () => join(cache, 'models--org--m');
/** blobs are named by hashes in the HF cache (anything else is refused): one per label */
const id = (label: string) => createHash('sha1').update(label).digest('hex');

/** snapshots/<commit>/<path> → ../../blobs/<blob> (one more ../ per folder level), blobs of `size` bytes */
function snapshot(commit: string, files: Record<string, string>, size = 10): void {
  for (const [path, blob] of Object.entries(files)) {
    const link = join(repoDir(), 'snapshots', commit, path);
    mkdirSync(dirname(link), { recursive: true });
    mkdirSync(join(repoDir(), 'blobs'), { recursive: true });
    writeFileSync(join(repoDir(), 'blobs', blob), Buffer.alloc(size));
    symlinkSync(`${'../'.repeat(path.split('/').length + 1)}blobs/${blob}`, link);
  }
}
function ref(name: string, commit: string): void {
  mkdirSync(dirname(join(repoDir(), 'refs', name)), { recursive: true });
  writeFileSync(join(repoDir(), 'refs', name), commit);
}

describe('deleteSnapshot', () => {
  it('deletes a snapshot, its refs and the blobs only it links to; shared blobs and other snapshots stay', async () => {
    cache = mkdtempSync(join(tmpdir(), 'prune-'));
    snapshot(A, { 'config.json': id('cfg-a'), 'tokenizer.json': id('tok'), 'sub/w.safetensors': id('w-a'), 'copy.safetensors': id('w-a') });
    snapshot(B, { 'config.json': id('cfg-b'), 'tokenizer.json': id('tok'), 'sub/w.safetensors': id('w-b') });
    ref('main', B);
    ref('pr/1', A);
    writeFileSync(join(repoDir(), 'blobs', `${id('half-a')}.incomplete`), Buffer.alloc(7));
    writeFileSync(join(repoDir(), 'blobs', `${id('other')}.incomplete`), Buffer.alloc(7));

    expect(await refsTo(cache, 'org/m', A)).toEqual(['pr/1']);
    const freed = await deleteSnapshot(cache, 'org/m', A, [id('half-a'), id('tok')]);
    expect(freed).toBe(10 + 10 + 7); // cfg-a, w-a (linked twice, deleted once), half-a.incomplete
    expect(readdirSync(join(repoDir(), 'snapshots'))).toEqual([B]);
    expect(readdirSync(join(repoDir(), 'blobs')).sort()).toEqual([id('cfg-b'), `${id('other')}.incomplete`, id('tok'), id('w-b')].sort());
    expect(existsSync(join(repoDir(), 'refs', 'pr', '1'))).toBe(false);
    expect(await refsTo(cache, 'org/m', B)).toEqual(['main']);

    await removeRepoIfEmpty(cache, 'org/m');
    expect(existsSync(repoDir())).toBe(true); // B is still there
  });

  it('leaves no folder behind once the last snapshot and its blobs are gone', async () => {
    cache = mkdtempSync(join(tmpdir(), 'prune-'));
    snapshot(A, { 'config.json': id('cfg-a') });
    await deleteSnapshot(cache, 'org/m', A);
    await removeRepoIfEmpty(cache, 'org/m');
    expect(existsSync(repoDir())).toBe(false);
  });

  it('never deletes by a blob id that is not a hash (a hostile Hub listed ../../x)', async () => {
    cache = mkdtempSync(join(tmpdir(), 'prune-'));
    snapshot(A, { 'config.json': id('cfg-a') });
    const outside = join(cache, 'victim.incomplete');
    writeFileSync(outside, 'keep me');
    await deleteSnapshot(cache, 'org/m', A, ['../../victim', '../../../victim']);
    expect(existsSync(outside)).toBe(true);
  });
});
