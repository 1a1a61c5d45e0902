import { describe, expect, it } from 'vitest';
import { openDatabase } from '../db/database';
import { ModelsRepo } from './models-repo';

describe('ModelsRepo', () => {
  it('reads saved flags against today’s rules: a value an older version let through is left out, the rest kept', () => {
    const db = openDatabase(':memory:');
    const repo = new ModelsRepo(db);
    const model = { name: 'org/m', provider: 'huggingface', runtime: 'vllm', display_name: 'm', size_bytes: 1, status: 'installed', revision: 'main', commit_sha: null, local_path: null, source: 'installed', capabilities: null, installed_at: null } as const;
    repo.save(model);
    // saved by a version whose API took any dtype string
    db.prepare('UPDATE models SET runtime_flags = ? WHERE name = ?').run(JSON.stringify({ dtype: 'fp16', max_model_len: 4096, extra_args: ['--enforce-eager'] }), 'org/m');
    expect(repo.get('org/m')?.runtime_flags).toEqual({ max_model_len: 4096, extra_args: ['--enforce-eager'] });
    db.prepare('UPDATE models SET runtime_flags = ? WHERE name = ?').run(JSON.stringify({ dtype: 'fp16' }), 'org/m');
    expect(repo.list()[0]?.runtime_flags).toBeNull();
    db.close();
  });
});
