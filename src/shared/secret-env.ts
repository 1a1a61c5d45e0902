/**
 * The one list of environment variables that carry secrets Switchyard knows by name. Presets read
 * remote keys from `REMOTE_KEY_ENV`; runtimes never inherit `SECRET_ENV`; the logger redacts both; the
 * API names a key's source from the same list. Add a variable here and every one of them follows.
 */
export const REMOTE_KEY_ENV = ['OPENAI_API_KEY', 'GEMINI_API_KEY', 'GOOGLE_API_KEY', 'ANTHROPIC_API_KEY'] as const;
export type RemoteKeyEnv = (typeof REMOTE_KEY_ENV)[number];

/** Switchyard's own token and the Hub's, which no runtime needs from our environment either. */
export const LOCAL_SECRET_ENV = ['SWITCHYARD_TOKEN', 'HF_TOKEN', 'HUGGING_FACE_HUB_TOKEN', 'HF_API_TOKEN'] as const;

/** Every secret variable of ours: never in a runtime's environment, never in a log line. */
export const SECRET_ENV = [...LOCAL_SECRET_ENV, ...REMOTE_KEY_ENV] as const;
