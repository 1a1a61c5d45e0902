import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { KserveExportResponse } from '../../shared/api/kserve';
import { CliError, type ApiClient } from './client';

export interface ExportCtx {
  client: ApiClient;
  args: string[];
  values: {
    json?: boolean;
    gpus?: string;
    'gpu-memory-gib'?: string;
    namespace?: string;
    storage?: string;
    pvc?: string;
    'service-account'?: string;
    'hf-token-secret'?: string;
    output?: string;
    name?: string;
    catalog?: string;
  };
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/**
 * `switchyard export kserve <model>` (or `--catalog <repo>`): the model's InferenceService as YAML, on
 * stdout or in a file (-o).
 * It asks for JSON so that the checks' result comes with it: a manifest that fails them is not written.
 */
export async function exportCommand(ctx: ExportCtx): Promise<number> {
  const [target, installed, ...extra] = ctx.args;
  const v = ctx.values;
  if (target !== 'kserve') throw new CliError('usage', `export ${target ? `"${target}" ` : ''}is not a target: use "export kserve <model>".`, 2);
  const model = installed ?? v.catalog;
  if (!model || extra.length || (installed && v.catalog)) {
    throw new CliError('usage', 'export kserve takes one installed model, or --catalog <repo> for one that is not installed: switchyard export kserve Qwen/Qwen3-0.6B [-o file].', 2);
  }
  const params = new URLSearchParams({ format: 'json' });
  const set = (key: string, value: string | undefined) => value !== undefined && params.set(key, value);
  set('name', v.name);
  set('gpus', v.gpus);
  set('gpu_memory_gib', v['gpu-memory-gib']);
  set('namespace', v.namespace);
  set('storage', v.storage);
  set('pvc', v.pvc);
  set('service_account', v['service-account']);
  set('hf_token_secret', v['hf-token-secret']);
  // a catalog model is previewed at the Hub's current commit
  const route = `/api/v1/models/${v.catalog ? 'catalog/' : ''}${encodeURIComponent(model)}/export/kserve`;
  const body = await ctx.client.call<KserveExportResponse>('GET', `${route}?${params}`);
  if (v.json) {
    ctx.stdout(`${JSON.stringify(body, null, 2)}\n`);
    return body.validation.ok ? 0 : 1;
  }
  for (const w of body.validation.warnings) ctx.stderr(`warning: ${w.message}\n`);
  if (!body.validation.ok) {
    for (const e of body.validation.errors) ctx.stderr(`switchyard: ${e.rule}: ${e.message}\n`);
    return 1;
  }
  if (!v.output || v.output === '-') {
    ctx.stdout(body.yaml);
    return 0;
  }
  const file = resolve(v.output);
  writeFileSync(file, body.yaml);
  ctx.stderr(`${body.name}: ${body.gpus} × ${body.gpu_memory_gib} GiB GPU${body.gpus > 1 ? 's' : ''}, context ${body.max_model_len}, ${body.storage} storage at ${body.commit.slice(0, 12)} → ${file}\n`);
  ctx.stderr(`Deploy: kubectl apply -f ${v.output}\n`);
  ctx.stderr(`Then:   switchyard provider add ${body.name} kserve --base-url "$(kubectl get inferenceservice ${body.name}${body.namespace ? ` -n ${body.namespace}` : ''} -o jsonpath='{.status.url}')${body.openai_path}"\n`);
  return 0;
}
