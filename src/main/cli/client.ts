import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { defaultDataDir } from '../config';
import { identityProof } from '../http/auth';
import { readInstanceInfo } from '../instance-info';

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
 * --host/--port/SWITCHYARD_HOST/SWITCHYARD_PORT > the address the instance on the data dir wrote down
 * (it moves off a port another program holds) > http://127.0.0.1:8765; --token > SWITCHYARD_TOKEN >
 * `<data dir>/token`. The token file is only read: a wrong data dir is an error here, never a new token.
 */
export function resolveConnection(flags: ConnectionFlags, env: NodeJS.ProcessEnv): Connection {
  const dataDir = flags.dataDir ? resolve(flags.dataDir) : defaultDataDir(env);
  const hostOrPort = flags.host ?? flags.port ?? env.SWITCHYARD_HOST ?? env.SWITCHYARD_PORT;
  const written = flags.url ?? env.SWITCHYARD_URL ?? (hostOrPort === undefined ? readInstanceInfo(dataDir)?.url : undefined);
  const host = flags.host ?? env.SWITCHYARD_HOST ?? '127.0.0.1';
  const port = flags.port ?? env.SWITCHYARD_PORT ?? '8765';
  const url = (written ?? `http://${host.includes(':') ? `[${host}]` : host}:${port}`).replace(/\/+$/, '');
  if (!/^https?:\/\//.test(url)) throw new CliError('usage', `--url must start with http:// or https:// (got "${url}").`, 2);
  const token = flags.token ?? env.SWITCHYARD_TOKEN;
  if (token) return { url, token };
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

/**
 * The local API as the CLI uses it: JSON in, JSON out, every failure a CliError. The token is sent only
 * after the server proved it is the Switchyard holding that token (see identityProof): whatever else
 * listens on the port (Switchyard not running, or moved to another port) never receives it.
 */
export class ApiClient {
  private verified: Promise<void> | null = null;

  constructor(private readonly connection: Connection) {}

  get url(): string {
    return this.connection.url;
  }

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    await (this.verified ??= this.verify());
    const res = await this.send(`${this.connection.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.connection.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
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

  /** Asks `/healthz` (no token) to prove it holds our token, for a fresh nonce and the address we used. */
  private async verify(): Promise<void> {
    const nonce = randomBytes(24).toString('base64url');
    const res = await this.send(`${this.connection.url}/healthz?nonce=${nonce}`, {});
    const answer = (await res.json().catch(() => null)) as { service?: unknown; proof?: unknown } | null;
    const expected = Buffer.from(identityProof(this.connection.token, new URL(this.connection.url).host, nonce));
    const given = Buffer.from(typeof answer?.proof === 'string' ? answer.proof : '');
    if (given.length === expected.length && timingSafeEqual(given, expected)) return;
    if (answer?.service === 'switchyard') {
      throw new CliError(
        'unauthorized',
        `The token was refused by ${this.connection.url}: the Switchyard there does not hold it (the token was not sent). Use the token of the Switchyard running there (--token, SWITCHYARD_TOKEN, or --data-dir of that instance).`,
      );
    }
    throw new CliError(
      'not_switchyard',
      `${this.connection.url} is not Switchyard (it did not answer /healthz as Switchyard does), so the token was not sent. Another program may hold that port: check --url / --port, or where Switchyard says it listens.`,
    );
  }

  /** fetch without following redirects (a redirect could carry the token elsewhere); network failures as CliError. */
  private async send(url: string, init: RequestInit): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(url, { ...init, redirect: 'manual' });
    } catch (error) {
      const inner = (error as { cause?: { code?: string; message?: string; errors?: { code?: string }[] } }).cause;
      const cause = inner?.code ?? inner?.errors?.[0]?.code ?? inner?.message ?? (error instanceof Error ? error.message : String(error));
      throw new CliError('unreachable', `Cannot reach Switchyard at ${this.connection.url} (${cause}): start it with \`npm run serve\` or the desktop app, or pass --url / SWITCHYARD_URL.`);
    }
    if (res.status >= 300 && res.status < 400) {
      throw new CliError('bad_response', `${url.split('?')[0]} answered with a redirect (HTTP ${res.status}): Switchyard never redirects its API — is ${this.connection.url} a Switchyard server?`);
    }
    return res;
  }
}
