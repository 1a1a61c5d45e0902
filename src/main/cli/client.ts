import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { defaultDataDir } from '../config';

/** A failure the CLI prints as one line (`switchyard: <code>: <message>`) and exits with `exitCode`. */
export class CliError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
  }
}

export interface Connection {
  url: string;
  token: string;
}

export interface ConnectionFlags {
  url?: string;
  token?: string;
  dataDir?: string;
  host?: string;
  port?: string;
}

/**
 * Where the running Switchyard is and its token: --url > SWITCHYARD_URL > http://host:port from
 * --host/--port/SWITCHYARD_HOST/SWITCHYARD_PORT; --token > SWITCHYARD_TOKEN > `<data dir>/token`.
 * The token file is only read: a wrong data dir is an error here, never a new token.
 */
export function resolveConnection(flags: ConnectionFlags, env: NodeJS.ProcessEnv): Connection {
  const host = flags.host ?? env.SWITCHYARD_HOST ?? '127.0.0.1';
  const port = flags.port ?? env.SWITCHYARD_PORT ?? '8765';
  const url = (flags.url ?? env.SWITCHYARD_URL ?? `http://${host.includes(':') ? `[${host}]` : host}:${port}`).replace(/\/+$/, '');
  if (!/^https?:\/\//.test(url)) throw new CliError('usage', `--url must start with http:// or https:// (got "${url}").`, 2);
  const token = flags.token ?? env.SWITCHYARD_TOKEN;
  if (token) return { url, token };
  const dataDir = flags.dataDir ? resolve(flags.dataDir) : defaultDataDir(env);
  const file = join(dataDir, 'token');
  if (!existsSync(file)) {
    throw new CliError(
      'no_token',
      `No API token: ${file} does not exist. Point --data-dir (or SWITCHYARD_DATA_DIR) at the data dir Switchyard runs with, or pass --token / SWITCHYARD_TOKEN.`,
    );
  }
  return { url, token: readFileSync(file, 'utf8').trim() };
}

interface ErrorBody {
  success: false;
  error: { code: string; message: string };
}

/** The local API as the CLI uses it: JSON in, JSON out, every failure a CliError. */
export class ApiClient {
  constructor(private readonly connection: Connection) {}

  get url(): string {
    return this.connection.url;
  }

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.connection.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.connection.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: body !== undefined ? JSON.stringify(body) : undefined,
      });
    } catch (error) {
      const inner = (error as { cause?: { code?: string; message?: string; errors?: { code?: string }[] } }).cause;
      const cause = inner?.code ?? inner?.errors?.[0]?.code ?? inner?.message ?? (error instanceof Error ? error.message : String(error));
      throw new CliError('unreachable', `Cannot reach Switchyard at ${this.connection.url} (${cause}): start it with \`npm run serve\` or the desktop app, or pass --url / SWITCHYARD_URL.`);
    }
    const text = await res.text();
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      throw new CliError('bad_response', `${method} ${path} answered HTTP ${res.status} with a body that is not JSON — is ${this.connection.url} a Switchyard server?`);
    }
    if (res.status === 401) {
      throw new CliError('unauthorized', `The token was refused by ${this.connection.url}: use the token of the Switchyard running there (--token, SWITCHYARD_TOKEN, or --data-dir of that instance).`);
    }
    const failed = json as Partial<ErrorBody> | null;
    if (!res.ok || failed?.success === false) {
      const error = failed?.error;
      throw new CliError(error?.code ?? `http_${res.status}`, error?.message ?? `${method} ${path} answered HTTP ${res.status}.`);
    }
    return json as T;
  }
}
