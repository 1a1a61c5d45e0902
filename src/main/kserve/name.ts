import { createHash } from 'node:crypto';

/** KServe's admission webhook: an InferenceService name is a DNS-1123 label starting with a letter. */
export const ISVC_NAME_PATTERN = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
export const ISVC_NAME_MAX = 63;
/**
 * KServe names the predictor's Service `<name>-predictor`, and a Service name is itself a label of at
 * most 63 characters: a longer InferenceService name is admitted, then its Service is refused.
 */
export const ISVC_NAME_COMFORTABLE = ISVC_NAME_MAX - '-predictor'.length;

/** Namespaces and claims are DNS-1123 labels / subdomains: the strictest of them is checked. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * The InferenceService name for a model: its repo name (without the org) as a DNS-1123 label —
 * `Qwen/Qwen3-0.6B` → `qwen3-0-6b`. A name that would be too long keeps a short hash of the whole model
 * name, so two long names never collapse into one service.
 */
export function kserveName(model: string): string {
  const base = (model.split('/').pop() ?? model)
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  let name = base || 'model';
  if (!/^[a-z]/.test(name)) name = `m-${name}`;
  if (name.length <= ISVC_NAME_COMFORTABLE) return name;
  const hash = createHash('sha256').update(model).digest('hex').slice(0, 8);
  return `${name.slice(0, ISVC_NAME_COMFORTABLE - hash.length - 1).replace(/-+$/, '')}-${hash}`;
}

/**
 * The default name among the other models that could be exported too: when another one's default
 * would be the same (`Qwen/Qwen3-0.6B`, `unsloth/Qwen3-0.6B` → `qwen3-0-6b`), the org joins the name
 * (`qwen-qwen3-0-6b`), and when even that meets another, a short hash of the model name.
 */
export function uniqueKserveName(model: string, others: readonly string[]): string {
  const rivals = others.filter((o) => o !== model);
  const base = kserveName(model);
  if (!rivals.some((o) => kserveName(o) === base)) return base;
  const qualified = kserveName(model.replace(/\//g, '-'));
  if (!rivals.some((o) => kserveName(o) === qualified || kserveName(o.replace(/\//g, '-')) === qualified)) return qualified;
  const hash = createHash('sha256').update(model).digest('hex').slice(0, 8);
  return `${qualified.slice(0, ISVC_NAME_COMFORTABLE - hash.length - 1).replace(/-+$/, '')}-${hash}`;
}
