import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { snapshotFiles } from '../hub/cache-scan';
import { indexedShards, selectFiles } from '../hub/file-selection';
import { safetensorsDtypeBytes, type ModelShape } from './fit';
import { HfConfig, type HfModelInfo } from './huggingface';

/**
 * Fit for installed models, from what is on this machine: the snapshot's config.json and file sizes in
 * the HF cache, and Ollama's own metadata (`/api/show` model_info) for Ollama models. No network.
 */

/** What the catalog needs from the installed-model manifest. */
export interface InstalledModelRef {
  name: string;
  provider: 'huggingface' | 'ollama';
  size_bytes: number;
  /** HF: the snapshot dir in the HF cache */
  local_path: string | null;
  capabilities: { max_context_length: number | null; quantization: string | null } | null;
}

export interface InstalledModels {
  /** an installed model by its name (HF repo id, or Ollama name[:tag]); null when not installed */
  find(name: string): InstalledModelRef | null;
  /** Ollama's base URL while it runs (for `/api/show`), else null */
  ollamaUrl?(): string | null;
}

/** torch_dtype → the `safetensors.parameters` key the Hub would report */
const DTYPE_KEY: Record<string, string> = { bfloat16: 'BF16', float16: 'F16', half: 'F16', float32: 'F32', float: 'F32', float8_e4m3fn: 'F8_E4M3' };

/**
 * Details as the Hub would give them, built from a snapshot in the HF cache: config.json, and the
 * files with their sizes. The weight bytes are the safetensors files' sizes (exact, headers aside).
 */
export function localHfDetails(id: string, snapshot: string): { info: HfModelInfo; config: HfConfig | null } | null {
  if (!existsSync(snapshot)) return null;
  const files = snapshotFiles(snapshot);
  if (!files.length) return null;
  let config: HfConfig | null = null;
  let raw: Record<string, unknown> | null = null;
  try {
    raw = JSON.parse(readFileSync(join(snapshot, 'config.json'), 'utf8')) as Record<string, unknown>;
    const parsed = HfConfig.safeParse(raw);
    config = parsed.success ? parsed.data : null;
  } catch {
    config = null;
  }
  // count only the weights vLLM loads: the indexed shards, not a consolidated copy or original/ beside them
  let shards: Set<string> | null = null;
  try {
    shards = indexedShards(JSON.parse(readFileSync(join(snapshot, 'model.safetensors.index.json'), 'utf8')));
  } catch {
    shards = null;
  }
  const loaded = selectFiles(files.map((f) => ({ path: f.path, size: f.size, sha256: null, oid: '' })), { indexedShards: shards }).files;
  const stBytes = loaded.filter((f) => f.path.endsWith('.safetensors') && !f.path.includes('/')).reduce((a, f) => a + f.size, 0);
  const gguf = files.some((f) => f.path.toLowerCase().endsWith('.gguf'));
  const dtypeName = String(config?.torch_dtype ?? config?.dtype ?? 'bfloat16').toLowerCase();
  const key = DTYPE_KEY[dtypeName] ?? 'BF16';
  const params = stBytes > 0 ? Math.round(stBytes / safetensorsDtypeBytes(key)) : 0;
  const architectures = Array.isArray(raw?.architectures) ? (raw.architectures as unknown[]).filter((a): a is string => typeof a === 'string') : [];
  const info: HfModelInfo = {
    id,
    tags: gguf && stBytes === 0 ? ['gguf'] : [],
    config: {
      architectures,
      model_type: typeof raw?.model_type === 'string' ? raw.model_type : null,
      quantization_config: config?.quantization_config ?? null,
    },
    safetensors: params > 0 ? { parameters: { [key]: params }, total: params } : null,
    siblings: files.map((f) => ({ rfilename: f.path, size: f.size })),
  };
  return { info, config };
}

type Json = Record<string, unknown>;

/**
 * The fit-relevant part of Ollama's `/api/show`: `{arch}.block_count`, `{arch}.attention.head_count_kv`
 * (?? `head_count`), `{arch}.attention.key_length` (?? `embedding_length / head_count`),
 * `{arch}.context_length`, `general.parameter_count`, `details.quantization_level`. Unknown → null.
 */
export function ollamaMetadataShape(show: unknown): Partial<ModelShape> {
  const s = (show && typeof show === 'object' ? show : {}) as Json;
  const raw = s.model_info instanceof Map ? Object.fromEntries(s.model_info as Map<string, unknown>) : ((s.model_info as Json | undefined) ?? {});
  const arch = typeof raw['general.architecture'] === 'string' ? (raw['general.architecture'] as string) : null;
  const num = (k: string): number | null => {
    const v = raw[k];
    if (typeof v === 'number' && v > 0) return v;
    // per-layer lists (some architectures vary KV heads by layer): the largest bounds the cache
    if (Array.isArray(v)) {
      const nums = v.filter((x): x is number => typeof x === 'number' && x > 0);
      return nums.length ? Math.max(...nums) : null;
    }
    return null;
  };
  const a = (k: string) => (arch ? num(`${arch}.${k}`) : null);
  const heads = a('attention.head_count');
  const embedding = a('embedding_length');
  const params = num('general.parameter_count');
  const details = (s.details as Json | undefined) ?? {};
  const out: Partial<ModelShape> = {};
  const layers = a('block_count');
  const kvHeads = a('attention.head_count_kv') ?? heads;
  const headDim = a('attention.key_length') ?? (embedding && heads ? embedding / heads : null);
  if (layers && kvHeads && headDim) Object.assign(out, { layers, kvHeads, headDim });
  const ctx = a('context_length');
  if (ctx) out.maxContext = ctx;
  if (params) out.parametersB = params / 1e9;
  if (typeof details.quantization_level === 'string' && details.quantization_level) out.dtype = details.quantization_level;
  return out;
}
