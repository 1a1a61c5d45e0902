import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

type GgufValue = string | number | boolean;

/** A GGUF v3 file as llama.cpp writes it: header, key/values, tensor infos, aligned tensor data. */
export function buildGguf(options: { arch?: string; name?: string; contextLength?: number; fileType?: number; tensorBytes?: number } = {}): Buffer {
  const arch = options.arch ?? 'llama';
  const kv: [string, GgufValue, number][] = [
    ['general.architecture', arch, 8],
    ['general.name', options.name ?? 'Test Model', 8],
    ['general.file_type', options.fileType ?? 15, 4],
    [`${arch}.context_length`, options.contextLength ?? 8192, 4],
    [`${arch}.embedding_length`, 64, 4],
    ['general.alignment', 32, 4],
  ];
  const parts: Buffer[] = [];
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    return b;
  };
  const u64 = (n: number) => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(n));
    return b;
  };
  const str = (s: string) => Buffer.concat([u64(Buffer.byteLength(s)), Buffer.from(s)]);
  const elements = Math.max(1, Math.floor((options.tensorBytes ?? 4096) / 4));
  parts.push(Buffer.from('GGUF'), u32(3), u64(1), u64(kv.length));
  for (const [key, value, type] of kv) parts.push(str(key), u32(type), type === 8 ? str(String(value)) : u32(Number(value)));
  // one F32 tensor (type 0) of `elements` values at offset 0 of the data section
  parts.push(str('token_embd.weight'), u32(1), u64(elements), u32(0), u64(0));
  const head = Buffer.concat(parts);
  const pad = Buffer.alloc((32 - (head.length % 32)) % 32);
  const data = Buffer.alloc(elements * 4);
  for (let i = 0; i < data.length; i++) data[i] = (i * 31 + 7) & 0xff;
  return Buffer.concat([head, pad, data]);
}

/** A safetensors file: 8-byte header length, the JSON header, then the tensors' bytes. */
export function buildSafetensors(tensors: Record<string, number> = { 'lm_head.weight': 2048 }): Buffer {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let offset = 0;
  for (const [name, bytes] of Object.entries(tensors)) {
    header[name] = { dtype: 'F16', shape: [bytes / 2], data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json, Buffer.alloc(offset, 1)]);
}

/** A model folder as `save_pretrained` leaves it: config.json, tokenizer files, safetensors weights. */
export function writeModelFolder(dir: string, options: { config?: Record<string, unknown>; omit?: string[]; extra?: Record<string, Buffer | string> } = {}): string {
  mkdirSync(dir, { recursive: true });
  const files: Record<string, Buffer | string> = {
    'config.json': JSON.stringify({ architectures: ['LlamaForCausalLM'], model_type: 'llama', hidden_size: 64, num_attention_heads: 4, num_hidden_layers: 2, max_position_embeddings: 4096, vocab_size: 256, torch_dtype: 'float16', ...options.config }),
    'tokenizer.json': JSON.stringify({ version: '1.0', model: { type: 'BPE' } }),
    'tokenizer_config.json': JSON.stringify({ chat_template: '{% for m in messages %}{{ m.content }}{% endfor %}' }),
    'model.safetensors': buildSafetensors(),
    ...options.extra,
  };
  for (const [path, content] of Object.entries(files)) if (!options.omit?.includes(path)) writeFileSync(join(dir, path), content);
  return dir;
}
