import type { ReasonCode, ValidationStep } from '../../shared/api/remote';
import { checkBaseUrl, authHeaders } from './keys';
import { PRESETS } from './presets';
import type { ProviderRow } from './provider-repo';
import { classifyNetError, reasonOfStatus, upstreamMessage } from './upstream-errors';
import { isAppError } from '../../shared/errors';
import { MAX_ERROR_BODY, readCappedResponse } from '../net/capped-body';
import { scrub } from './keys';

export interface ValidationInput {
  provider: ProviderRow;
  key: string | null;
  manualModels: string[];
  /** a model that must be listed (the active one, or one about to be activated) */
  requiredModel: string | null;
  offline: boolean;
  fetch: typeof fetch;
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface ValidationOutcome {
  ok: boolean;
  reason_code: ReasonCode;
  message: string;
  steps: ValidationStep[];
  models: string[];
}

const MAX_PAGES = 20;
/** A model list is read this far (decompressed): 200,000 ids in OpenAI's shape fit, a gigabyte does not. */
const MAX_LIST_BYTES = 16 * 1024 * 1024;
/** Ids kept per validation: the history keeps every validation's list, forever. */
export const MAX_MODEL_IDS = 5_000;

/**
 * The validation steps, in order, each timed: static URL checks, offline (nothing opened), reachability
 * and TLS, `GET {base}/models` and its status, parsing the list, the required model. The first failed step
 * ends it; the later ones are recorded as skipped so the history always shows all six.
 */
export async function runValidation(input: ValidationInput): Promise<ValidationOutcome> {
  const steps: ValidationStep[] = [];
  const host = safeHost(input.provider.base_url);
  let clock = performance.now();
  const record = (step: ValidationStep['step'], status: ValidationStep['status'], reason: ReasonCode, message: string) => {
    const now = performance.now();
    steps.push({ step, status, reason_code: reason, message, duration_ms: Math.round((now - clock) * 100) / 100 });
    clock = now;
  };
  const fail = (step: ValidationStep['step'], reason: ReasonCode, message: string): ValidationOutcome => {
    record(step, 'failed', reason, message);
    for (const rest of ORDER.slice(ORDER.indexOf(step) + 1)) steps.push({ step: rest, status: 'skipped', reason_code: reason, message: 'not run: an earlier step failed', duration_ms: 0 });
    return { ok: false, reason_code: reason, message, steps, models: [] };
  };

  // 1. static URL checks
  let base: string;
  try {
    const checked = checkBaseUrl(input.provider.base_url);
    base = checked.url;
    if (checked.warnings.length > 0) record('url', 'warning', 'insecure_http', checked.warnings.join(' '));
    else record('url', 'ok', 'ok', `${base} is a usable base URL.`);
  } catch (error) {
    return fail('url', 'invalid_url', (error as Error).message);
  }

  // 2. offline: refused before any socket is opened
  if (input.offline) return fail('offline', 'offline', `Offline mode is on, so ${host} was not contacted — turn it off to validate remote providers.`);
  record('offline', 'ok', 'ok', 'Online.');

  // 3. reachability and TLS: the first request's connection
  const headers = { accept: 'application/json', ...input.provider.headers, ...authHeaders(input.provider.kind, input.key) };
  // never follows a redirect (the key would go along to wherever it points); bodies are read up to a cap
  const get = async (url: string) => {
    const signal = input.signal ? AbortSignal.any([input.signal, AbortSignal.timeout(input.timeoutMs)]) : AbortSignal.timeout(input.timeoutMs);
    const res = await input.fetch(url, { headers, signal, redirect: 'manual' });
    const limit = res.status >= 300 ? MAX_ERROR_BODY : MAX_LIST_BYTES;
    const { text, truncated } = await readCappedResponse(res, limit);
    return { status: res.status, text, truncated, location: res.headers.get('location') };
  };
  let first: Awaited<ReturnType<typeof get>>;
  try {
    first = await get(modelsUrl(base, null));
  } catch (error) {
    if (isAppError(error) && error.code === 'destination_not_allowed') return fail('reachability', 'destination_not_allowed', scrub(error.message, input.key));
    const c = classifyNetError(error, host);
    return fail('reachability', c.reason, scrub(c.message, input.key));
  }
  if (first.status >= 300 && first.status < 400) {
    const to = redirectTarget(first.location, base);
    return fail(
      'reachability',
      'redirected',
      `${host} answered ${first.status}, redirecting to ${to}. Switchyard never follows a redirect with a key — if that address is right, set it as the base URL and validate again.`,
    );
  }
  record('reachability', 'ok', 'ok', `${host} answered${base.startsWith('https:') ? ' over a trusted TLS connection' : ''}.`);

  // 4. the model list's status
  const preset = PRESETS[input.provider.kind];
  let listed: string[] | null = null;
  if (first.status === 404) {
    const message = `${base}/models was not found (404): the base URL must end at ${preset.baseHint}.`;
    if (input.manualModels.length === 0) return fail('models', 'models_endpoint_not_found', `${message} If this endpoint has no model list, add its model ids by hand.`);
    record('models', 'warning', 'models_endpoint_not_found', `${message} Using the ${input.manualModels.length} model id(s) added by hand.`);
  } else if (first.status >= 400) {
    const reason = reasonOfStatus(first.status, first.text);
    const said = upstreamMessage(first.text, input.key);
    const message =
      reason === 'auth_error'
        ? `${host} refused the key (${first.status}: ${said}) — check api_key${preset.envKeys.length ? ` or ${preset.envKeys.join(' / ')}` : ''}.`
        : reason === 'rate_limited'
          ? `${host} is rate limiting this key (429: ${said}). The key is valid; validate again in a minute.`
          : `${host} answered ${first.status} to GET /models: ${said}`;
    return fail('models', reason, message);
  } else {
    record('models', 'ok', 'ok', `GET /models answered ${first.status}.`);
  }

  // 5. parse the list (following Anthropic's pages)
  if (first.status < 400) {
    try {
      if (first.truncated) throw new Error(`it is larger than ${MAX_LIST_BYTES / 1024 / 1024} MiB`);
      const page = parseModelList(first.text);
      listed = page.ids;
      let after = page.nextAfter;
      for (let n = 1; after && n < MAX_PAGES && listed.length < MAX_MODEL_IDS; n++) {
        const next = await get(modelsUrl(base, after));
        if (next.status >= 300) throw new Error(`page ${n + 1} answered ${next.status}`);
        if (next.truncated) throw new Error(`page ${n + 1} is larger than ${MAX_LIST_BYTES / 1024 / 1024} MiB`);
        const p = parseModelList(next.text);
        listed.push(...p.ids);
        after = p.nextAfter;
      }
    } catch (error) {
      return fail('parse', 'invalid_response', scrub(`${host}'s model list could not be read (${(error as Error).message.slice(0, 200)}) — is this the API base of an OpenAI-compatible server?`, input.key));
    }
    const all = new Set(listed);
    if (all.size > MAX_MODEL_IDS) {
      listed = [...all].slice(0, MAX_MODEL_IDS);
      // the model that must be served stays, wherever it was in the list
      if (input.requiredModel && all.has(input.requiredModel) && !listed.includes(input.requiredModel)) listed.push(input.requiredModel);
      record('parse', 'warning', 'ok', `${all.size} model ids listed; the first ${MAX_MODEL_IDS} are kept — add any other you need by hand.`);
    } else {
      record('parse', 'ok', 'ok', `${listed.length} model(s) listed.`);
    }
  } else {
    record('parse', 'skipped', 'models_endpoint_not_found', 'No list to read.');
  }

  const models = [...new Set([...(listed ?? []), ...input.manualModels])];
  // 6. the model that must be served
  if (input.requiredModel && !models.includes(input.requiredModel)) {
    return {
      ...fail('model_check', 'model_not_listed', `${input.requiredModel} is not among the models ${host} lists — use the exact id it serves, or add it by hand.`),
      models,
    };
  }
  record('model_check', 'ok', 'ok', input.requiredModel ? `${input.requiredModel} is listed.` : 'No model to check.');
  const warned = steps.find((s) => s.status === 'warning');
  return { ok: true, reason_code: 'ok', message: warned ? `Valid, with a warning: ${warned.message}` : `Valid: ${models.length} model(s).`, steps, models };
}

const ORDER: ValidationStep['step'][] = ['url', 'offline', 'reachability', 'models', 'parse', 'model_check'];

/** Anthropic pages its list (20 by default): later pages are asked for with `after_id`. */
function modelsUrl(base: string, after: string | null): string {
  return after ? `${base}/models?after_id=${encodeURIComponent(after)}` : `${base}/models`;
}

/**
 * Reads a model list in any of the shapes seen in the wild: OpenAI's `{data: [{id}]}`, a bare array (of ids
 * or of objects), Gemini's `models/` prefix (dropped: requests take the bare id), Anthropic's pages.
 */
export function parseModelList(text: string): { ids: string[]; nextAfter: string | null } {
  const body = JSON.parse(text) as unknown;
  const list = Array.isArray(body) ? body : (body as { data?: unknown; models?: unknown } | null)?.data ?? (body as { models?: unknown } | null)?.models;
  if (!Array.isArray(list)) throw new Error('no data[] in the answer');
  const ids = list
    .map((m) => (typeof m === 'string' ? m : typeof (m as { id?: unknown })?.id === 'string' ? (m as { id: string }).id : (m as { name?: unknown })?.name))
    .filter((id): id is string => typeof id === 'string' && id.length > 0)
    .map((id) => id.replace(/^models\//, ''));
  const paged = body as { has_more?: unknown; last_id?: unknown };
  const nextAfter = paged.has_more === true && typeof paged.last_id === 'string' ? paged.last_id : null;
  return { ids, nextAfter };
}

/** Where a redirect points, as a person recognises it (relative locations stay on the origin). */
export function redirectTarget(location: string | null, base: string): string {
  try {
    const u = new URL(location ?? '', base);
    return `${u.protocol}//${u.host}${u.pathname}`.slice(0, 200);
  } catch {
    return 'an address that is not a URL';
  }
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
