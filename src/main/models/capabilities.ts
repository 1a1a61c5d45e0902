import type { CapabilitiesOverride, ModelCapabilities } from '../../shared/api/models';

type Json = Record<string, unknown>;

/** The chat template from tokenizer_config.json: a string, or a list of named templates ("default" wins). */
export function chatTemplateOf(tokenizerConfig: Json | null): string | null {
  const t = tokenizerConfig?.chat_template;
  if (typeof t === 'string') return t;
  if (Array.isArray(t)) {
    const named = t as { name?: string; template?: string }[];
    return (named.find((x) => x.name === 'default') ?? named[0])?.template ?? null;
  }
  return null;
}

/**
 * Whether a Jinja chat template rejects the system role, as Gemma's does:
 * `{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}`.
 */
export function templateRejectsSystem(template: string): boolean {
  if (/system role not supported/i.test(template)) return true;
  // a raise_exception inside a block that tests for the system role
  const re = /\{%-?\s*if[^%]*['"]system['"][^%]*%\}\s*\{\{-?\s*raise_exception\(/g;
  return re.test(template);
}

function templateSupportsTools(template: string): boolean {
  return /\btools\b/.test(template) || /tool_calls?/.test(template);
}

function roles(system: boolean, tools: boolean): string[] {
  return [...(system ? ['system'] : []), 'user', 'assistant', ...(tools ? ['tool'] : [])];
}

/** Capabilities of a Hugging Face model from its config.json and tokenizer_config.json. */
export function capabilitiesFromHf(config: Json | null, tokenizerConfig: Json | null, quantization: string | null = null): ModelCapabilities {
  const template = chatTemplateOf(tokenizerConfig);
  const system = template ? !templateRejectsSystem(template) : true;
  const tools = template ? templateSupportsTools(template) : false;
  const textConfig = (config?.text_config as Json | undefined) ?? config;
  const ctxKeys = ['max_position_embeddings', 'n_positions', 'max_seq_len', 'seq_length', 'n_ctx', 'max_sequence_length'];
  let ctx: number | null = null;
  for (const k of ctxKeys) {
    const v = textConfig?.[k] ?? config?.[k];
    if (typeof v === 'number' && Number.isInteger(v) && v > 0) {
      ctx = v;
      break;
    }
  }
  const quant = (config?.quantization_config as Json | undefined)?.quant_method;
  return {
    supports_system_role: system,
    supports_function_calling: tools,
    allowed_roles: roles(system, tools),
    prompt_template: template,
    max_context_length: ctx,
    quantization: typeof quant === 'string' ? quant : quantization,
  };
}

/** Capabilities from Ollama's `POST /api/show` answer. */
export function capabilitiesFromOllama(show: Json): ModelCapabilities {
  const template = typeof show.template === 'string' ? show.template : null;
  const caps = Array.isArray(show.capabilities) ? (show.capabilities as string[]) : [];
  const tools = caps.includes('tools') || (template ? /\.Tools\b/.test(template) : false);
  // Ollama templates that never render `.System` drop the system prompt.
  const system = template ? /\.System\b/.test(template) || /\.Role\b/.test(template) : true;
  const info = (show.model_info as Json | undefined) ?? {};
  let ctx: number | null = null;
  for (const [k, v] of Object.entries(info)) {
    if (k.endsWith('.context_length') && typeof v === 'number') ctx = v;
  }
  const details = (show.details as Json | undefined) ?? {};
  return {
    supports_system_role: system,
    supports_function_calling: tools,
    allowed_roles: roles(system, tools),
    prompt_template: template,
    max_context_length: ctx,
    quantization: typeof details.quantization_level === 'string' ? details.quantization_level : null,
  };
}

export const UNKNOWN_CAPABILITIES: ModelCapabilities = {
  supports_system_role: true,
  supports_function_calling: false,
  allowed_roles: ['system', 'user', 'assistant'],
  prompt_template: null,
  max_context_length: null,
  quantization: null,
};

export function effectiveCapabilities(detected: ModelCapabilities | null, override: CapabilitiesOverride | null): ModelCapabilities {
  return { ...(detected ?? UNKNOWN_CAPABILITIES), ...(override ?? {}) };
}
