/**
 * What vLLM derives from a model's config.json, so that the flags Switchyard passes stay within what
 * vLLM accepts. Mirrors vLLM's `config/model.py` (`_get_and_verify_max_len`), `transformers_utils/
 * config.py` (`auto_map` → remote code) and its quantization overrides (Marlin kernels), read upstream.
 */

type Json = Record<string, unknown>;

/** config.json keys vLLM takes the model's context limit from: the smallest one present wins. */
const MAX_LEN_KEYS = ['max_position_embeddings', 'n_positions', 'max_seq_len', 'seq_length', 'model_max_length', 'max_sequence_length', 'max_seq_length', 'seq_len'] as const;
/** rope types whose factor does not extend the limit (the config already states the extended length) */
const ROPE_TYPES_WITHOUT_FACTOR = new Set(['su', 'longrope', 'llama3', 'default', 'mrope']);
/** vLLM's default when no key is present */
const FALLBACK_MAX_LEN = 2048;

const asObject = (v: unknown): Json | null => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : null);
const positive = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : null);

/** Multimodal configs keep the language model's numbers in `text_config` (Gemma 3, Qwen-VL, Llava…). */
export function textConfig(config: Json): Json {
  return asObject(config.text_config) ?? asObject(config.llm_config) ?? asObject(config.language_config) ?? config;
}

/**
 * The largest `--max-model-len` vLLM accepts for this config (above it vLLM refuses to start unless
 * `VLLM_ALLOW_LONG_MAX_MODEL_LEN=1`): the minimum of the limit keys, times the rope-scaling factor for
 * the rope types that extend the context (YaRN from `original_max_position_embeddings`).
 */
export function derivedMaxModelLen(config: Json | null | undefined): number | null {
  if (!config) return null;
  const text = textConfig(config);
  let derived = Infinity;
  for (const key of MAX_LEN_KEYS) {
    const v = positive(text[key]) ?? (text === config ? null : positive(config[key]));
    if (v !== null) derived = Math.min(derived, v);
  }
  const rope = asObject(text.rope_scaling) ?? asObject(config.rope_scaling);
  if (rope) {
    const type = String(rope.rope_type ?? rope.type ?? '');
    const factor = positive(rope.factor);
    if (factor && !ROPE_TYPES_WITHOUT_FACTOR.has(type)) {
      if (type === 'yarn' && positive(rope.original_max_position_embeddings)) derived = positive(rope.original_max_position_embeddings)!;
      if (Number.isFinite(derived)) derived = Math.floor(derived * factor);
    }
  }
  return Number.isFinite(derived) ? derived : FALLBACK_MAX_LEN;
}

/** Attention heads of the language model: tensor parallelism must divide them. */
export function attentionHeads(config: Json | null | undefined): number | null {
  if (!config) return null;
  const text = textConfig(config);
  return positive(text.num_attention_heads) ?? positive(text.n_head) ?? positive(text.num_heads) ?? null;
}

/** The `*.py` modules `auto_map` names (`"AutoModel": "modeling_x.XModel"`, or `"repo--modeling_x.X"`). */
export function remoteCodeModules(config: Json | null | undefined): string[] {
  const autoMap = asObject(config?.auto_map);
  if (!autoMap) return [];
  const refs = Object.values(autoMap).flatMap((v) => (Array.isArray(v) ? v : [v])).filter((v): v is string => typeof v === 'string');
  const modules = refs
    .filter((r) => !r.includes('--')) // code from another repo: fetched by transformers, not ours to ship
    .map((r) => `${r.slice(0, r.lastIndexOf('.'))}.py`)
    .filter((p) => p !== '.py');
  return [...new Set(modules)];
}

/** The config asks for code from the repo (`auto_map`): vLLM needs `--trust-remote-code` for it. */
export function needsRemoteCode(config: Json | null | undefined): boolean {
  return asObject(config?.auto_map) !== null;
}

/**
 * Quantization methods whose checkpoints vLLM runs with its faster Marlin kernels when it picks the
 * method itself (`awq` → `awq_marlin`, `gptq` → `gptq_marlin`); naming the method on the command line
 * forces the slow kernel. vLLM reads the method from `quantization_config` either way.
 */
const AUTO_DETECTED = new Set(['awq', 'gptq', 'awq_marlin', 'gptq_marlin', 'compressed-tensors', 'fp8', 'mxfp4', 'bitsandbytes', 'modelopt', 'modelopt_fp4']);

/** The `--quantization` value to pass, or null when vLLM should detect it from the checkpoint. */
export function quantizationFlag(method: string | null | undefined): string | null {
  if (!method) return null;
  return AUTO_DETECTED.has(method.toLowerCase()) ? null : method;
}
