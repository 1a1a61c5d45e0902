import { APP_EVENT_TYPES } from '../../../shared/event-types';
import type { AppEvent } from '../../../shared/events';
import { validationSentence } from './error-words';

const TOKEN_KEY = 'switchyard.token';

/** Error from the API: `code` is the stable error code, `message` says what to do. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/** Token from the preload (Electron), the URL fragment `#token=` (printed by `serve`), or localStorage. */
export function initialToken(): string | null {
  if (window.switchyard?.token) return window.switchyard.token;
  const match = /(?:^|[#&])token=([^&]+)/.exec(window.location.hash);
  if (match) {
    const token = decodeURIComponent(match[1]!);
    localStorage.setItem(TOKEN_KEY, token);
    history.replaceState(null, '', window.location.pathname + window.location.search + window.location.hash.replace(/(^#|&)token=[^&]+/, '').replace(/^#&/, '#'));
    return token;
  }
  return localStorage.getItem(TOKEN_KEY);
}

export function saveToken(token: string): void {
  localStorage.setItem(TOKEN_KEY, token);
}

export function forgetToken(): void {
  localStorage.removeItem(TOKEN_KEY);
}

export const apiBase = (): string => window.switchyard?.apiBase ?? '';

let token: string | null = null;
export function setToken(value: string | null): void {
  token = value;
}
export const authHeader = (): Record<string, string> => (token ? { authorization: `Bearer ${token}` } : {});

/**
 * The one request helper under the typed endpoints (endpoints/, typed.ts): screens and stores call those,
 * never this with a type of their own. Non-2xx bodies become ApiError.
 */
export async function request<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`${apiBase()}${path}`, {
      method,
      signal,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new ApiError('unreachable', 'Cannot reach Switchyard — is it still running?', 0);
  }
  const text = await res.text();
  const data = text ? (JSON.parse(text) as { success?: boolean; error?: { code: string; message: string; details?: unknown } }) : {};
  if (!res.ok || data.success === false) {
    // a refused field reads as a sentence naming it; the schema's own wording stays in `details`
    const words = data.error?.code === 'validation_error' ? validationSentence(data.error.details) : null;
    throw new ApiError(data.error?.code ?? 'http_error', words ?? data.error?.message ?? `HTTP ${res.status}`, res.status, data.error?.details);
  }
  return data as T;
}


/** Subscribes to the SSE stream; reconnects by itself (EventSource). Returns the close function. */
export function subscribeEvents(onEvent: (event: AppEvent) => void, onStatus: (connected: boolean) => void): () => void {
  const source = new EventSource(`${apiBase()}/api/v1/events?token=${encodeURIComponent(token ?? '')}`);
  source.onopen = () => onStatus(true);
  source.onerror = () => onStatus(false);
  const handler = (message: MessageEvent<string>) => {
    try {
      onEvent(JSON.parse(message.data) as AppEvent);
    } catch {
      // a malformed event is dropped, not fatal
    }
  };
  // every type in the contract: an event added there reaches its slice without a change here
  for (const type of APP_EVENT_TYPES) {
    source.addEventListener(type, handler as EventListener);
  }
  return () => source.close();
}
