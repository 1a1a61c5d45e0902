import { createHash } from 'node:crypto';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Puts a small model into an HF cache the way `huggingface_hub` lays it out (blobs, relative symlinks in
 * snapshots/<commit>, refs/main), so the core discovers it as installed — a model to activate without
 * running a download first. Returns the snapshot dir.
 */
export function seedHfModel(cacheDir: string, repo: string, config: Record<string, unknown> = {}, extraFiles: Record<string, string> = {}): string {
  const dir = join(cacheDir, `models--${repo.replaceAll('/', '--')}`);
  const commit = createHash('sha1').update(repo).digest('hex');
  const files: Record<string, string> = {
    'config.json': JSON.stringify({ architectures: ['Qwen3ForCausalLM'], model_type: 'qwen3', num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, hidden_size: 256, max_position_embeddings: 4096, torch_dtype: 'bfloat16', ...config }),
    'tokenizer_config.json': JSON.stringify({ chat_template: '{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}' }),
    'model.safetensors': 'x'.repeat(4096),
    ...extraFiles,
  };
  const snapshot = join(dir, 'snapshots', commit);
  mkdirSync(join(dir, 'blobs'), { recursive: true });
  mkdirSync(snapshot, { recursive: true });
  mkdirSync(join(dir, 'refs'), { recursive: true });
  for (const [name, content] of Object.entries(files)) {
    const blob = createHash('sha1').update(`blob ${Buffer.byteLength(content)}\0${content}`).digest('hex');
    writeFileSync(join(dir, 'blobs', blob), content);
    mkdirSync(dirname(join(snapshot, name)), { recursive: true });
    symlinkSync(`${'../'.repeat(name.split('/').length + 1)}blobs/${blob}`, join(snapshot, name));
  }
  writeFileSync(join(dir, 'refs', 'main'), commit);
  return snapshot;
}
