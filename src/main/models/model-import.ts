import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { basename, isAbsolute, resolve } from 'node:path';
import type { ImportBody } from '../../shared/api/library';
import type { Operation } from '../../shared/api/models';
import { AppError } from '../../shared/errors';
import { ollamaCanonicalName } from '../../shared/model-names';
import type { LocalSource, ManifestHost, ModelDriver } from '../drivers/model-driver';
import { inspectGguf } from '../drivers/ollama/gguf-file';
import { inspectModelFolder } from '../drivers/hf-vllm/model-folder';
import type { OperationContext, OperationService } from '../operations/operation-service';
import { validateModelName } from './guards';

/** What an import operation stores in its params: enough to run it again after a restart. */
export interface ImportParams {
  request: { name: string; provider: ModelDriver['provider'] };
  import: LocalSource;
}

export const isImportParams = (p: unknown): p is ImportParams => typeof (p as ImportParams | null)?.import?.path === 'string';

export interface ModelImporterDeps {
  drivers: () => ModelDriver[];
  operations: OperationService;
  host: ManifestHost;
}

/**
 * Import from disk (issue 29): a `.gguf` file becomes an Ollama model through Ollama's own API, a
 * model folder a vLLM model served from its path. Everything is checked before the operation exists
 * — path, format, name — so a refusal creates nothing; the operation then has progress, cancel and
 * history like an install.
 */
export class ModelImporter {
  constructor(private readonly deps: ModelImporterDeps) {}

  async start(body: ImportBody): Promise<{ operation: Operation; name: string; driver: ModelDriver; kind: LocalSource['kind'] }> {
    const source = await this.check(body.path);
    const driver = this.deps.drivers().find((d) => d.imports === source.kind && d.importLocal);
    if (!driver) throw new AppError('bad_request', `No runtime here imports ${source.kind === 'gguf' ? 'GGUF files' : 'model folders'}.`);
    const name = importName(source, body.name);
    validateModelName(name, driver.nameRule);
    const existing = this.deps.host.models.find(name);
    if (existing || (await driver.nameTaken?.(name))) {
      throw new AppError('name_taken', `There is already a model named ${name}${existing ? ` (${existing.source === 'local' ? `imported from ${existing.import_path}` : `from ${existing.provider}`})` : ` in ${driver.label}`}. Choose another name (--name), or remove that model first.`);
    }
    this.deps.host.checkNotBusy(name);
    const params: ImportParams = { request: { name, provider: driver.provider }, import: source };
    const operation = this.deps.operations.start(
      { model_name: name, operation_type: 'install', provider: driver.provider, runtime: driver.runtime, params, message: `Importing ${source.path} as ${name}`, queue: driver.installQueue },
      (ctx) => this.run(driver, params, ctx),
    );
    return { operation, name, driver, kind: source.kind };
  }

  /** Runs (or resumes) an import operation with its driver. */
  run(driver: ModelDriver, params: ImportParams, ctx: OperationContext): Promise<string> {
    if (!driver.importLocal) return Promise.reject(new AppError('bad_request', `${driver.label} does not import models.`));
    return driver.importLocal(params.request.name, params.import, ctx, this.deps.host);
  }

  /** The path exists, can be read, and is a GGUF file or a model folder (every refusal before anything is created). */
  private async check(input: string): Promise<LocalSource> {
    if (!isAbsolute(input)) throw new AppError('bad_request', `"${input}" is not an absolute path. Give the full path of a .gguf file or a model folder on this machine.`);
    const path = resolve(input);
    let info;
    try {
      info = await stat(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') throw new AppError('path_not_found', `Nothing at ${path}. Check the path (it is read on the machine Switchyard runs on).`);
      throw new AppError('path_unreadable', `${path} cannot be read (${code ?? 'error'}). Check its permissions.`);
    }
    try {
      await access(path, info.isDirectory() ? constants.R_OK | constants.X_OK : constants.R_OK);
    } catch {
      throw new AppError('path_unreadable', `${path} cannot be read by Switchyard (permission denied). Check its permissions.`);
    }
    if (info.isDirectory()) {
      await inspectModelFolder(path);
      return { path, kind: 'folder' };
    }
    if (!info.isFile()) throw new AppError('not_gguf', `${path} is neither a file nor a folder. Import a .gguf file or a model folder.`);
    await inspectGguf(path);
    return { path, kind: 'gguf' };
  }
}

/**
 * The model's name: the one asked for, else the file or folder name made valid for its runtime —
 * Ollama `name:tag` (letters, digits, `_ . -`, lower case, `:latest`), vLLM `local/<folder>`.
 */
export function importName(source: LocalSource, asked: string | undefined): string {
  if (source.kind === 'gguf') {
    if (asked) return ollamaCanonicalName(asked);
    const stem = slug(basename(source.path).replace(/\.gguf$/i, '').toLowerCase(), 80);
    return `${stem}:latest`;
  }
  if (asked) return asked.includes('/') ? asked : `local/${asked}`;
  return `local/${slug(basename(source.path), 96)}`;
}

function slug(s: string, max: number): string {
  const cleaned = s
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .replace(/\.{2,}/g, '.')
    .slice(0, max)
    .replace(/[-.]+$/, '');
  return cleaned || 'model';
}
