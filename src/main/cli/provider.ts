import type { z } from 'zod';
import type * as remote from '../../shared/api/remote';
import { CliError, type ApiClient } from './client';
import { table } from './table';

type ProvidersResponse = z.infer<typeof remote.ProvidersResponse>;
type ProviderResponse = z.infer<typeof remote.ProviderResponse>;
type ValidationResponse = z.infer<typeof remote.ValidationResponse>;

export interface ProviderCtx {
  client: ApiClient;
  args: string[];
  values: { json?: boolean; 'base-url'?: string; 'key-stdin'?: boolean; models?: string; model?: string };
  stdout: (text: string) => void;
  /** the whole of standard input: how a key reaches the CLI (never argv, which `ps` and shell history show) */
  readStdin?: () => Promise<string>;
}

const KINDS = ['openai', 'gemini', 'anthropic', 'openai_compatible', 'kserve'];
const enc = encodeURIComponent;

/** `switchyard provider add|list|validate|enable|disable|rm`: remote providers over the same API as the Providers screen. */
export async function providerCommand(ctx: ProviderCtx): Promise<number> {
  const [verb, ...rest] = ctx.args;
  switch (verb) {
    case 'list':
    case 'ls':
      return list(ctx);
    case 'add':
      return add(ctx, rest);
    case 'validate':
      return validate(ctx, rest);
    case 'rm':
    case 'remove':
      return remove(ctx, rest);
    case 'enable':
    case 'disable':
      return setEnabled(ctx, rest, verb === 'enable');
    default:
      throw new CliError('usage', `unknown provider command "${verb ?? ''}": use provider add|list|validate|enable|disable|rm.`, 2);
  }
}

async function list(ctx: ProviderCtx): Promise<number> {
  const body = await ctx.client.call<ProvidersResponse>('GET', '/api/v1/remote-providers');
  if (ctx.values.json) ctx.stdout(`${JSON.stringify(body, null, 2)}\n`);
  else if (body.providers.length === 0) ctx.stdout('No remote providers. Add one with: switchyard provider add <id> <kind> [--base-url URL] [--key-stdin]\n');
  else {
    ctx.stdout(
      table(
        ['ID', 'KIND', 'BASE URL', 'KEY', 'KEY FROM', 'VALIDATION', 'ENABLED', 'SPEND'],
        body.providers.map((p) => [p.id, p.kind, p.base_url, p.api_key ?? '', p.api_key_source ?? '', p.validation.state, p.enabled ? 'yes' : 'no', `$${p.spend.cost_usd.toFixed(4)}/${p.spend.period}`]),
      ),
    );
  }
  return 0;
}

async function add(ctx: ProviderCtx, args: string[]): Promise<number> {
  const [id, kind] = args;
  if (!id || !kind) throw new CliError('usage', 'usage: provider add <id> <kind> [--base-url URL] [--key-stdin] [--models id,id]', 2);
  if (!KINDS.includes(kind)) throw new CliError('usage', `unknown kind "${kind}": use one of ${KINDS.join(', ')}.`, 2);
  let apiKey: string | undefined;
  if (ctx.values['key-stdin']) {
    if (!ctx.readStdin) throw new CliError('usage', 'no standard input to read the key from.', 2);
    apiKey = (await ctx.readStdin()).trim();
    if (!apiKey) throw new CliError('usage', 'standard input was empty: pipe the key in, e.g. printf %s "$KEY" | switchyard provider add … --key-stdin', 2);
  }
  const models = ctx.values.models?.split(',').map((m) => m.trim()).filter(Boolean);
  const body = await ctx.client.call<ProviderResponse>('POST', '/api/v1/remote-providers', {
    id,
    kind,
    ...(ctx.values['base-url'] ? { base_url: ctx.values['base-url'] } : {}),
    ...(apiKey ? { api_key: apiKey } : {}),
    ...(models?.length ? { models } : {}),
  });
  if (ctx.values.json) ctx.stdout(`${JSON.stringify(body, null, 2)}\n`);
  else {
    const p = body.provider;
    ctx.stdout(`Added ${p.id} (${p.kind}) at ${p.base_url}; key: ${p.api_key ?? 'none'}${p.api_key_source ? ` from ${p.api_key_source}` : ''}.\n`);
    for (const w of p.warnings) ctx.stdout(`warning: ${w}\n`);
    ctx.stdout(`Validate it with: switchyard provider validate ${p.id}\n`);
  }
  return 0;
}

async function validate(ctx: ProviderCtx, args: string[]): Promise<number> {
  const [id] = args;
  if (!id) throw new CliError('usage', 'usage: provider validate <id> [--model ID]', 2);
  const body = await ctx.client.call<ValidationResponse>('POST', `/api/v1/remote-providers/${enc(id)}/validate`, ctx.values.model ? { model: ctx.values.model } : {});
  const v = body.validation;
  if (ctx.values.json) ctx.stdout(`${JSON.stringify(body, null, 2)}\n`);
  else {
    ctx.stdout(table(['STEP', 'STATUS', 'REASON', 'MS', 'MESSAGE'], v.steps.map((s) => [s.step, s.status, s.reason_code, s.duration_ms.toFixed(1), s.message])));
    ctx.stdout(`${v.ok ? 'valid' : `not valid (${v.reason_code})`}: ${v.message}\n`);
    if (v.ok && v.models.length) ctx.stdout(`models: ${v.models.join(', ')}\n`);
  }
  return v.ok ? 0 : 1;
}

async function remove(ctx: ProviderCtx, args: string[]): Promise<number> {
  const [id] = args;
  if (!id) throw new CliError('usage', 'usage: provider rm <id>', 2);
  await ctx.client.call('DELETE', `/api/v1/remote-providers/${enc(id)}`);
  ctx.stdout(`Removed ${id} (its key is deleted; its validation history is kept).\n`);
  return 0;
}

/** Disabled: kept with its key and history, routed nothing; only a disabled provider can be removed. */
async function setEnabled(ctx: ProviderCtx, args: string[], enabled: boolean): Promise<number> {
  const [id] = args;
  if (!id) throw new CliError('usage', `usage: provider ${enabled ? 'enable' : 'disable'} <id>`, 2);
  const body = await ctx.client.call<ProviderResponse>('PATCH', `/api/v1/remote-providers/${enc(id)}`, { enabled });
  if (ctx.values.json) ctx.stdout(`${JSON.stringify(body, null, 2)}\n`);
  else ctx.stdout(enabled ? `Enabled ${id}: its models are routed again.\n` : `Disabled ${id}: nothing is routed to it (its key and history are kept; remove it with: switchyard provider rm ${id}).\n`);
  return 0;
}
