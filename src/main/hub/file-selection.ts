import type { SnapshotFile } from './snapshot-download';

/** Files a runtime needs beside the weights: configs, tokenizer, generation settings, chat template. */
const SUPPORT_FILE = /^(config\.json|generation_config\.json|tokenizer\.json|tokenizer_config\.json|tokenizer\.model|special_tokens_map\.json|added_tokens\.json|vocab\.json|vocab\.txt|merges\.txt|preprocessor_config\.json|processor_config\.json|chat_template\.(json|jinja)|.*\.tiktoken|model\.safetensors\.index\.json|params\.json)$/;
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
  const m = GGUF_QUANT.exec(path);
  return m ? m[1]!.toUpperCase() : null;
}

/**
 * Chooses what to download. Safetensors repos: the top-level safetensors weights plus config and
 * tokenizer files — `.bin`/`.pth`, `original/` and other formats are skipped. GGUF repos: the files of
 * one quantization (the requested one, else Q4_K_M, else the smallest). An explicit list wins.
 */
export function selectFiles(all: SnapshotFile[], request: { files?: string[]; quantization?: string } = {}): FileSelection {
  const byPath = new Map(all.map((f) => [f.path, f]));
  const ggufs = all.filter((f) => f.path.endsWith('.gguf'));
  const quantizations = [...new Set(ggufs.map((f) => ggufQuantization(f.path)).filter((q): q is string => q !== null))];
  if (request.files?.length) {
    const missing = request.files.filter((p) => !byPath.has(p));
    if (missing.length) throw new SelectionError(`Not in the repo: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? '…' : ''}.`);
    return { files: request.files.map((p) => byPath.get(p)!), format: 'other', quantizations, quantization: null };
  }
  const topLevel = (f: SnapshotFile) => !f.path.includes('/');
  const safetensors = all.filter((f) => topLevel(f) && f.path.endsWith('.safetensors'));
  if (safetensors.length > 0) {
    const support = all.filter((f) => topLevel(f) && SUPPORT_FILE.test(f.path));
    return { files: [...support, ...safetensors], format: 'safetensors', quantizations, quantization: null };
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
    const support = all.filter((f) => topLevel(f) && SUPPORT_FILE.test(f.path));
    return { files: [...support, ...weights], format: 'gguf', quantizations, quantization };
  }
  const support = all.filter((f) => topLevel(f) && SUPPORT_FILE.test(f.path));
  const bins = all.filter((f) => topLevel(f) && /\.(bin|pt|pth)$/.test(f.path));
  return { files: [...support, ...bins], format: 'other', quantizations, quantization: null };
}

export class SelectionError extends Error {}
