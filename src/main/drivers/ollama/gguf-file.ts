import { open, stat } from 'node:fs/promises';
import { gguf } from '@huggingface/gguf';
import { AppError, errorMessage } from '../../../shared/errors';
import { formatBytes } from '../../../shared/format';

/** What an import reads from a GGUF file's header before anything is sent to Ollama. */
export interface GgufFileInfo {
  path: string;
  size: number;
  version: number;
  architecture: string | null;
  /** `general.name` */
  name: string | null;
  contextLength: number | null;
  tensors: number;
}

const notGguf = (path: string, why: string) =>
  new AppError('not_gguf', `${path} is not a GGUF model file: ${why}. Import a .gguf file (llama.cpp's format, as Ollama and LM Studio use), or a folder with config.json, tokenizer files and *.safetensors weights.`);

/**
 * Checks the magic, then reads the header (version, key/values, tensor infos) with `@huggingface/gguf`:
 * a file that is not GGUF, or whose header is cut or points past its end, is refused with `not_gguf`.
 */
export async function inspectGguf(path: string): Promise<GgufFileInfo> {
  const size = (await stat(path)).size;
  const magic = Buffer.alloc(4);
  const fd = await open(path, 'r');
  try {
    await fd.read(magic, 0, 4, 0);
  } finally {
    await fd.close();
  }
  if (magic.toString('latin1') !== 'GGUF') throw notGguf(path, size < 4 ? 'the file is empty or too short' : `it starts with ${JSON.stringify(magic.toString('latin1').replace(/[^\x20-\x7e]/g, '.'))}, not "GGUF"`);
  let parsed;
  try {
    parsed = await gguf(path, { allowLocalFile: true });
  } catch (error) {
    throw notGguf(path, `its header cannot be read (${errorMessage(error)})`);
  }
  const { metadata, tensorInfos, tensorDataOffset } = parsed;
  if (Number(tensorDataOffset) > size) throw notGguf(path, `the header says tensor data starts at ${tensorDataOffset}, past the end of the file (${formatBytes(size)}): the file is cut short`);
  if (tensorInfos.length === 0) throw notGguf(path, 'it holds no tensors');
  const kv = metadata as unknown as Record<string, unknown>;
  const architecture = typeof kv['general.architecture'] === 'string' ? kv['general.architecture'] : null;
  const context = architecture ? kv[`${architecture}.context_length`] : undefined;
  return {
    path,
    size,
    version: Number(metadata.version),
    architecture,
    name: typeof kv['general.name'] === 'string' ? kv['general.name'] : null,
    contextLength: typeof context === 'number' || typeof context === 'bigint' ? Number(context) : null,
    tensors: tensorInfos.length,
  };
}
