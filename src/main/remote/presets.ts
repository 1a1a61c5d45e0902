import type { ProviderKind } from '../../shared/api/remote';

import type { RemoteKeyEnv } from '../../shared/secret-env';

/** What Switchyard knows about each kind of remote API: where it lives, how it authenticates, what it serves. */
export interface ProviderPreset {
  label: string;
  /** filled in when the user gives none (cloud kinds only: a cluster's address is the user's) */
  baseUrl: string | null;
  /** where the base URL must end, said when `/models` is not found */
  baseHint: string;
  auth: 'bearer' | 'anthropic';
  /** environment variables read for the key, in order, when none is stored */
  envKeys: RemoteKeyEnv[];
  embeddings: boolean;
  completions: boolean;
  /** cloud APIs bill per token; cluster endpoints are the user's own */
  cloud: boolean;
}

export const ANTHROPIC_VERSION = '2023-06-01';

export const PRESETS: Record<ProviderKind, ProviderPreset> = {
  openai: {
    label: 'OpenAI',
    baseUrl: 'https://api.openai.com/v1',
    baseHint: 'https://api.openai.com/v1',
    auth: 'bearer',
    envKeys: ['OPENAI_API_KEY'],
    embeddings: true,
    completions: true,
    cloud: true,
  },
  gemini: {
    label: 'Google Gemini',
    baseUrl: 'https://generativelanguage.googleapis.com/v1beta/openai',
    baseHint: 'https://generativelanguage.googleapis.com/v1beta/openai',
    auth: 'bearer',
    envKeys: ['GEMINI_API_KEY', 'GOOGLE_API_KEY'],
    embeddings: true,
    completions: false,
    cloud: true,
  },
  anthropic: {
    label: 'Anthropic',
    baseUrl: 'https://api.anthropic.com/v1',
    baseHint: 'https://api.anthropic.com/v1',
    auth: 'anthropic',
    envKeys: ['ANTHROPIC_API_KEY'],
    embeddings: false,
    completions: false,
    cloud: true,
  },
  openai_compatible: {
    label: 'OpenAI-compatible (vLLM, llama.cpp, LM Studio…)',
    baseUrl: null,
    baseHint: 'its version path, e.g. http://gpu-node:8000/v1 (with the port)',
    auth: 'bearer',
    envKeys: [],
    embeddings: true,
    completions: true,
    cloud: false,
  },
  kserve: {
    label: 'KServe InferenceService',
    baseUrl: null,
    baseHint: '/openai/v1, e.g. https://qwen.models.example.com/openai/v1',
    auth: 'bearer',
    envKeys: [],
    embeddings: true,
    completions: true,
    cloud: false,
  },
};
