import { open, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError, errorMessage } from '../../../shared/errors';

/** A folder vLLM can serve as is (`vllm serve <path>`): what an import found in it. */
export interface ModelFolderInfo {
  path: string;
  config: Record<string, unknown>;
  tokenizerConfig: Record<string, unknown> | null;
  /** every regular file at the top level, with its size */
  files: { path: string; size: number }[];
  /** the safetensors shards vLLM loads */
  weights: string[];
  totalBytes: number;
}

/** Files any one of which gives vLLM (transformers' AutoTokenizer) a tokenizer. */
const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer.model', 'vocab.json', 'tiktoken.model', 'vocab.txt'];
const MAX_HEADER = 100 * 1024 * 1024;

const notAModel = (path: string, missing: string[]) =>
  new AppError(
    'not_a_model_folder',
    `${path} is not a model folder vLLM can serve: ${missing.join('; ')}. A model folder (as save_pretrained or "hf download" leaves it) holds config.json, tokenizer files and *.safetensors weights.`,
    { missing },
  );

/**
 * Checks a folder as vLLM will read it: config.json (parsed), a tokenizer, safetensors weights whose
 * headers parse and whose sizes match what the headers say, and every shard a
 * `model.safetensors.index.json` names. Everything missing is named in one refusal.
 */
export async function inspectModelFolder(dir: string): Promise<ModelFolderInfo> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files: { path: string; size: number }[] = [];
  for (const e of entries) {
    if (!e.isFile() && !e.isSymbolicLink()) continue;
    const s = await stat(join(dir, e.name)).catch(() => null);
    if (s?.isFile()) files.push({ path: e.name, size: s.size });
  }
  const names = new Set(files.map((f) => f.path));
  const problems: string[] = [];
  let config: Record<string, unknown> | null = null;
  if (!names.has('config.json')) problems.push('config.json is missing');
  else {
    config = await readJson(join(dir, 'config.json'));
    if (!config) problems.push('config.json is not a JSON object');
  }
  if (!TOKENIZER_FILES.some((f) => names.has(f))) problems.push(`no tokenizer (${TOKENIZER_FILES.join(', ')})`);
  let weights = files.filter((f) => f.path.endsWith('.safetensors')).map((f) => f.path);
  if (names.has('model.safetensors.index.json')) {
    const index = await readJson(join(dir, 'model.safetensors.index.json'));
    const map = index?.weight_map && typeof index.weight_map === 'object' ? (index.weight_map as Record<string, unknown>) : null;
    if (!map) problems.push('model.safetensors.index.json has no weight_map');
    else {
      const shards = [...new Set(Object.values(map).filter((v): v is string => typeof v === 'string'))];
      const missing = shards.filter((s) => !names.has(s));
      if (missing.length) problems.push(`shards named by model.safetensors.index.json are missing: ${missing.join(', ')}`);
      weights = shards.filter((s) => names.has(s));
    }
  }
  if (weights.length === 0 && !problems.some((p) => p.startsWith('shards'))) problems.push('no *.safetensors weights');
  for (const w of weights) {
    const why = await checkSafetensors(join(dir, w), files.find((f) => f.path === w)!.size);
    if (why) problems.push(`${w}: ${why}`);
  }
  if (problems.length || !config) throw notAModel(dir, problems);
  return {
    path: dir,
    config,
    tokenizerConfig: names.has('tokenizer_config.json') ? await readJson(join(dir, 'tokenizer_config.json')) : null,
    files,
    weights,
    totalBytes: files.reduce((a, f) => a + f.size, 0),
  };
}

/** A safetensors file: u64 header length, JSON header, tensor bytes ending exactly at the end of the file. */
async function checkSafetensors(file: string, size: number): Promise<string | null> {
  if (size < 8) return 'too short to be a safetensors file';
  const fd = await open(file, 'r');
  try {
    const len = Buffer.alloc(8);
    await fd.read(len, 0, 8, 0);
    const headerLength = Number(len.readBigUInt64LE());
    if (headerLength <= 0 || headerLength > MAX_HEADER || 8 + headerLength > size) return `its header length (${headerLength}) does not fit the file (${size} bytes): not a safetensors file, or cut short`;
    const header = Buffer.alloc(headerLength);
    await fd.read(header, 0, headerLength, 8);
    let parsed: Record<string, { data_offsets?: unknown }>;
    try {
      parsed = JSON.parse(header.toString('utf8')) as Record<string, { data_offsets?: unknown }>;
    } catch (error) {
      return `its header is not JSON (${errorMessage(error)})`;
    }
    let end = 0;
    for (const [name, tensor] of Object.entries(parsed)) {
      if (name === '__metadata__') continue;
      const offsets = tensor?.data_offsets;
      if (!Array.isArray(offsets) || offsets.length !== 2) return `tensor ${name} has no data_offsets`;
      end = Math.max(end, Number(offsets[1]));
    }
    const expected = 8 + headerLength + end;
    if (expected !== size) return `the header describes ${expected} bytes, the file has ${size}${expected > size ? ' (cut short)' : ''}`;
    return null;
  } finally {
    await fd.close();
  }
}

async function readJson(file: string): Promise<Record<string, unknown> | null> {
  try {
    const v = JSON.parse(await readFile(file, 'utf8')) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
