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
  // `{% if …'system'… %}` then `{{ raise_exception(`, read by hand: the pattern that did this
  // (`if[^%]*['"]system['"][^%]*%\}`) was quadratic on a template repeating 'system', and templates
  // come with downloaded models. Each `{%` reads only up to its own first `%`, so nothing is read twice.
  const skipSpace = (i: number) => {
    while (i < template.length && /\s/.test(template[i]!)) i++;
    return i;
  };
  for (let at = template.indexOf('{%'); at >= 0; at = template.indexOf('{%', at + 2)) {
    let i = skipSpace(template[at + 2] === '-' ? at + 3 : at + 2);
    if (!template.startsWith('if', i)) continue;
    const end = template.indexOf('%', i);
    if (end < 0) return false;
    if (template[end + 1] !== '}' || !/['"]system['"]/.test(template.slice(i + 2, end))) continue;
    i = skipSpace(end + 2);
    if (!template.startsWith('{{', i)) continue;
    i = skipSpace(template[i + 2] === '-' ? i + 3 : i + 2);
    if (template.startsWith('raise_exception(', i)) return true;
  }
  return false;
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
