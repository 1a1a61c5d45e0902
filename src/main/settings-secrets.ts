import type { Settings, SettingsGroup } from '../shared/settings';
import { maskSecret } from './secrets';

/**
 * Which settings are secrets, and how a stored settings row points at them. A secret's value lives in
 * the secret store; the row holds `{ "$secret": "<key>" }` in its place (an object, so no string a user
 * types can be mistaken for one). Secrets are `hub.token` and every runtime environment variable whose
 * name looks secret (`vllm.env.HF_TOKEN`, `vllm.env.VLLM_API_KEY`).
 */
export interface SecretRef {
  $secret: string;
}

const isRef = (value: unknown): value is SecretRef => typeof value === 'object' && value !== null && typeof (value as SecretRef).$secret === 'string';

/** the Settings groups holding a runtime's environment (`<group>.env`): one list, for the secrets and the masks */
export const ENV_GROUPS = ['ollama', 'vllm'] as const;
const SECRET_WORDS = ['TOKEN', 'KEY', 'SECRET', 'PASSWORD', 'PASSWD', 'CREDENTIAL', 'CREDENTIALS', 'AUTH'];

/**
 * `HF_TOKEN`, `VLLM_API_KEY`, `AWS_SECRET_ACCESS_KEY`, `PGPASSWORD`, `OPENAI_APIKEY`: a part of the
 * name ends with a secret word. `TOKENIZERS_PARALLELISM` does not. A false positive costs only a mask.
 */
export function isSecretEnvName(name: string): boolean {
  return name
    .toUpperCase()
    .split('_')
    .some((part) => SECRET_WORDS.some((word) => part.endsWith(word)));
}

/** The secrets in a group's (resolved) value, by path: `hub.token`, `vllm.env.HF_TOKEN`. */
export function secretEntries<G extends SettingsGroup>(group: G, value: Settings[G]): [string, string][] {
  if (group === 'hub') {
    const token = (value as Settings['hub']).token;
    return token ? [['hub.token', token]] : [];
  }
  if (!(ENV_GROUPS as readonly string[]).includes(group)) return [];
  const env = (value as Settings['vllm']).env;
  return Object.entries(env)
    .filter(([name]) => isSecretEnvName(name))
    .map(([name, v]) => [`${group}.env.${name}`, v]);
}

/** The row to store: each secret replaced by a reference to its key (`keys`: path → key). */
export function rowWithRefs<G extends SettingsGroup>(group: G, value: Settings[G], keys: ReadonlyMap<string, string>): Record<string, unknown> {
  const row: Record<string, unknown> = { ...value };
  if (group === 'hub') row.token = keys.has('hub.token') ? { $secret: keys.get('hub.token')! } : null;
  if ((ENV_GROUPS as readonly string[]).includes(group)) {
    const env: Record<string, unknown> = { ...(value as Settings['vllm']).env };
    for (const name of Object.keys(env)) {
      const key = keys.get(`${group}.env.${name}`);
      if (key) env[name] = { $secret: key };
    }
    row.env = env;
  }
  return row;
}

/** The keys a stored row refers to, by path. */
export function refsOf(group: string, row: unknown): Map<string, string> {
  const out = new Map<string, string>();
  const r = row as Record<string, unknown> | null | undefined;
  if (!r || typeof r !== 'object') return out;
  if (group === 'hub' && isRef(r.token)) out.set('hub.token', r.token.$secret);
  if ((ENV_GROUPS as readonly string[]).includes(group) && r.env && typeof r.env === 'object') {
    for (const [name, v] of Object.entries(r.env)) if (isRef(v)) out.set(`${group}.env.${name}`, v.$secret);
  }
  return out;
}

/** A stored row with its references replaced by the values (`get`); a value that is gone is left out. */
export function resolveRow(group: string, row: unknown, get: (key: string) => string | null): unknown {
  const refs = refsOf(group, row);
  if (!refs.size) return row;
  const out: Record<string, unknown> = { ...(row as Record<string, unknown>) };
  if (group === 'hub' && refs.has('hub.token')) out.token = get(refs.get('hub.token')!);
  if ((ENV_GROUPS as readonly string[]).includes(group)) {
    const env: Record<string, unknown> = { ...(out.env as Record<string, unknown>) };
    for (const name of Object.keys(env)) {
      const key = refs.get(`${group}.env.${name}`);
      if (!key) continue;
      const value = get(key);
      if (value === null) delete env[name];
      else env[name] = value;
    }
    out.env = env;
  }
  return out;
}

/** Settings as the API shows them: every secret masked (`hf_…1234`); sending the mask back keeps it. */
export function maskedSettings(settings: Settings): Settings {
  const maskEnv = (env: Record<string, string>) => Object.fromEntries(Object.entries(env).map(([k, v]) => [k, isSecretEnvName(k) ? (maskSecret(v) ?? '') : v]));
  return {
    ...settings,
    hub: { ...settings.hub, token: maskSecret(settings.hub.token) },
    ollama: { ...settings.ollama, env: maskEnv(settings.ollama.env) },
    vllm: { ...settings.vllm, env: maskEnv(settings.vllm.env) },
  };
}
