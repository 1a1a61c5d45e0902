import type { SnapshotFile } from './snapshot-download';

/**
 * Top-level files vLLM (through transformers / huggingface_hub) reads beside the weights. With
 * `HF_HUB_OFFLINE=1` a missing optional file is silently treated as absent, so each one left out
 * changes behaviour without an error: configs (`quantize_config.json` for older AWQ/GPTQ,
 * `hf_quant_config.json` for ModelOpt), tokenizer and chat template, processor configs of vision
 * models, Mistral's `params.json`/`tekken.json`, sentence-transformers' `modules.json` and
 * `sentence_*_config.json`, and the remote code `auto_map` names (every top-level `*.py`: those modules
 * import their siblings).
 */
const SUPPORT_FILE =
  /^(config\.json|generation_config\.json|tokenizer\.json|tokenizer_config\.json|tokenizer\.model|special_tokens_map\.json|added_tokens\.json|vocab\.json|vocab\.txt|merges\.txt|spiece\.model|sentencepiece\.bpe\.model|preprocessor_config\.json|processor_config\.json|video_preprocessor_config\.json|image_processor_config\.json|chat_template\.(json|jinja)|.*\.tiktoken|tekken\.json|params\.json|quantize_config\.json|hf_quant_config\.json|quant_config\.json|modules\.json|sentence_[a-z_]+_config\.json|config_sentence_transformers\.json|[^/]+\.py|model\.safetensors\.index\.json|pytorch_model\.bin\.index\.json)$/;
/** sentence-transformers pooling / dense / normalize modules (`1_Pooling/config.json`, `2_Dense/…`) */
const MODULE_CONFIG = /^\d+_[A-Za-z]+\/(config\.json|.*\.safetensors)$/;
const GGUF_QUANT = /[.\-_](I?Q\d(?:_[A-Z0-9]+)*|F16|BF16|F32)(?:-\d{5}-of-\d{5})?\.gguf$/i;

export interface FileSelection {
  files: SnapshotFile[];
  format: 'safetensors' | 'gguf' | 'other';
  /** GGUF repos: the quantizations on offer */
  quantizations: string[];
  quantization: string | null;
}

/** `model.Q4_K_M.gguf` → `Q4_K_M` */
export function ggufQuantization(path: string): string | null {
  // only the file name, at most 255 characters (every filesystem's limit): the pattern is quadratic on
  // a long run of `_Q1`, and a repo's paths are anyone's to choose
  const name = path.slice(path.lastIndexOf('/') + 1);
  const m = name.length <= 255 ? GGUF_QUANT.exec(name) : null;
  return m ? m[1]!.toUpperCase() : null;
}

/** What `model.safetensors.index.json` says: the shard files its `weight_map` points at. */
export function indexedShards(index: unknown): Set<string> | null {
  const map = (index as { weight_map?: unknown } | null)?.weight_map;
  if (!map || typeof map !== 'object') return null;
  return new Set(Object.values(map as Record<string, unknown>).filter((v): v is string => typeof v === 'string'));
}

export interface SelectionRequest {
  files?: string[];
  quantization?: string;
  /**
   * The shards the safetensors index names, when the caller read it. Without it, files named
   * `consolidated*.safetensors` beside an index are taken for the Mistral-format duplicate they are.
   */
  indexedShards?: ReadonlySet<string> | null;
}

/**
 * Chooses what to download: the files vLLM will read and nothing else. Weights in one format —
 * safetensors (only the shards the index names: vLLM's `filter_duplicate_safetensors_files` ignores a
 * `consolidated.safetensors` beside them), else `.bin`/`.pt`/`.pth`; never `original/`. GGUF repos: the
 * files of one quantization (the requested one, else Q4_K_M, else the smallest). An explicit list wins.
 */
export function selectFiles(all: SnapshotFile[], request: SelectionRequest = {}): FileSelection {
  const byPath = new Map(all.map((f) => [f.path, f]));
  const ggufs = all.filter((f) => f.path.endsWith('.gguf'));
  const quantizations = [...new Set(ggufs.map((f) => ggufQuantization(f.path)).filter((q): q is string => q !== null))];
  if (request.files?.length) {
    const missing = request.files.filter((p) => !byPath.has(p));
    if (missing.length) throw new SelectionError(`Not in the repo: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? '…' : ''}.`);
    return { files: request.files.map((p) => byPath.get(p)!), format: 'other', quantizations, quantization: null };
  }
  const topLevel = (f: SnapshotFile) => !f.path.includes('/');
  const support = all.filter((f) => (topLevel(f) && SUPPORT_FILE.test(f.path)) || (MODULE_CONFIG.test(f.path) && f.path.endsWith('config.json')));
  const moduleWeights = all.filter((f) => MODULE_CONFIG.test(f.path) && f.path.endsWith('.safetensors'));
  let safetensors = all.filter((f) => topLevel(f) && f.path.endsWith('.safetensors'));
  if (safetensors.length > 0) {
    const hasIndex = byPath.has('model.safetensors.index.json');
    if (request.indexedShards?.size) safetensors = safetensors.filter((f) => request.indexedShards!.has(f.path));
    else if (hasIndex) safetensors = safetensors.filter((f) => !/^consolidated.*\.safetensors$/.test(f.path));
    return { files: [...support, ...safetensors, ...moduleWeights], format: 'safetensors', quantizations, quantization: null };
  }
  if (ggufs.length > 0) {
    let quantization: string | null = null;
    if (request.quantization) {
      quantization = request.quantization.toUpperCase();
      if (!quantizations.includes(quantization)) {
        throw new SelectionError(`No ${request.quantization} GGUF in this repo; it has ${quantizations.join(', ') || 'no recognizable quantization'}.`);
      }
    } else if (quantizations.includes('Q4_K_M')) {
      quantization = 'Q4_K_M';
    } else {
      const smallest = [...ggufs].sort((a, b) => a.size - b.size)[0]!;
      quantization = ggufQuantization(smallest.path);
    }
    const weights = quantization ? ggufs.filter((f) => ggufQuantization(f.path) === quantization) : ggufs.slice(0, 1);
    return { files: [...support, ...weights], format: 'gguf', quantizations, quantization };
  }
  // no safetensors: vLLM falls back to `*.bin`, then `*.pt`/`*.pth` — one of them, not both
  const bins = all.filter((f) => topLevel(f) && f.path.endsWith('.bin') && !/^(training_args|optimizer|scheduler|rng_state)/.test(f.path));
  const pts = bins.length ? [] : all.filter((f) => topLevel(f) && /\.(pt|pth)$/.test(f.path));
  return { files: [...support, ...bins, ...pts, ...moduleWeights], format: 'other', quantizations, quantization: null };
}

/** Bytes of weights vLLM loads from a selection: what the fit must count, nothing downloaded beside it. */
export function weightBytes(files: readonly { path: string; size: number }[]): number {
  return files.filter((f) => /\.(safetensors|bin|pt|pth|gguf)$/.test(f.path)).reduce((a, f) => a + f.size, 0);
}

export class SelectionError extends Error {}
