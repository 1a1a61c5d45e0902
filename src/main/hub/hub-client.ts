import { listFiles, modelInfo } from '@huggingface/hub';
import { AppError, errorMessage, isAppError } from '../../shared/errors';
import { z } from 'zod';
import type { HttpGet, NetClient } from '../net/net-client';
import type { SnapshotFile } from './snapshot-download';

const METADATA_TIMEOUT_MS = 20_000;

export interface HubClientDeps {
  /** `HF_ENDPOINT` or the settings endpoint, without trailing slash */
  endpoint(): string;
  /** Settings token, else `HF_TOKEN`, else the `hf auth login` file (see hub-token.ts) */
  token(): string | null;
  /** the one HTTP layer (proxies, keep-alive, offline refusal) */
  net: Pick<NetClient, 'fetch' | 'get'>;
}

export interface HubWhoami {
  valid: boolean;
  user: string | null;
  orgs: string[];
  /** the token's role: read, write, fineGrained */
  role: string | null;
}

const WhoamiBody = z.object({
  name: z.string(),
  orgs: z.array(z.object({ name: z.string() })).optional(),
  auth: z.object({ accessToken: z.object({ role: z.string().optional() }).optional() }).optional(),
});

export interface ResolvedRepo {
  repo: string;
  revision: string;
  commit: string;
  gated: boolean;
  files: SnapshotFile[];
}

/**
 * The Hugging Face Hub API, through `@huggingface/hub` (`modelInfo`, `listFiles`) with our fetch:
 * it adds the token (the library insists on `hf_` tokens; ours may come from HF_TOKEN as is) and turns
 * the Hub's `X-Error-Code` answers into AppErrors that say what to do.
 */
export class HubClient {
  private readonly fetchImpl: typeof fetch;
  /** the transport for file downloads (resolve URLs and the CDN they redirect to) */
  readonly get: HttpGet;

  constructor(private readonly deps: HubClientDeps) {
    this.fetchImpl = deps.net.fetch;
    this.get = deps.net.get;
  }

  endpoint(): string {
    return this.deps.endpoint().replace(/\/+$/, '');
  }

  /** Authorization for requests to the Hub itself (never sent to a CDN on another host). */
  authHeaders(): Record<string, string> {
    const token = this.deps.token();
    return token ? { authorization: `Bearer ${token}` } : {};
  }

  fileUrl(repo: string, commit: string, path: string): string {
    return `${this.endpoint()}/${repo}/resolve/${encodeURIComponent(commit)}/${path.split('/').map(encodeURIComponent).join('/')}`;
  }

  /** Commit, gating and the file list (sizes, LFS sha256, git sha1) of a repo at a revision. */
  async resolve(repo: string, revision: string, signal?: AbortSignal): Promise<ResolvedRepo> {
    const hubUrl = this.endpoint();
    const f = this.checkedFetch(repo, signal);
    const info = await modelInfo({ name: repo, revision, hubUrl, fetch: f, additionalFields: ['sha'] }).catch((e) => this.rethrow(e, repo));
    const commit = (info as { sha?: string }).sha;
    if (!commit || !/^[0-9a-f]{40}$/.test(commit)) throw new AppError('upstream_error', `The Hub did not say which commit ${repo}@${revision} is. Try again later.`);
    const files: SnapshotFile[] = [];
    try {
      for await (const entry of listFiles({ repo: { type: 'model', name: repo }, revision: commit, recursive: true, hubUrl, fetch: f })) {
        if (entry.type !== 'file') continue;
        files.push({ path: entry.path, size: entry.lfs?.size ?? entry.size, sha256: entry.lfs?.oid ?? null, oid: entry.oid ?? '' });
      }
    } catch (error) {
      this.rethrow(error, repo);
    }
    return { repo, revision, commit, gated: Boolean(info.gated), files };
  }

  /** For a gated repo: checks the token opens it, before anything is downloaded. */
  async checkAccess(repo: string, commit: string, path: string, signal?: AbortSignal): Promise<void> {
    const res = await this.checkedFetch(repo, signal)(this.fileUrl(repo, commit, path), { method: 'GET', headers: { range: 'bytes=0-0' }, redirect: 'manual' });
    await res.body?.cancel().catch(() => {});
  }

  private checkedFetch(repo: string, signal?: AbortSignal): typeof fetch {
    const endpoint = this.endpoint();
    return async (input, init) => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      const headers = new Headers(init?.headers);
      if (url.startsWith(endpoint)) for (const [k, v] of Object.entries(this.authHeaders())) headers.set(k, v);
      let res: Response;
      // metadata calls are small: a Hub that does not answer in time is treated as unreachable
      const timeout = AbortSignal.timeout(METADATA_TIMEOUT_MS);
      const signals = [timeout, ...(init?.signal ? [init.signal] : signal ? [signal] : [])];
      try {
        res = await this.fetchImpl(input, { ...init, headers, signal: AbortSignal.any(signals) });
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        throw unreachable(endpoint, error, timeout.aborted);
      }
      if (res.ok || (res.status >= 300 && res.status < 400)) return res;
      const code = res.headers.get('x-error-code');
      const hubMessage = res.headers.get('x-error-message');
      if (isInvalidTokenAnswer(res.status, code, hubMessage) && this.deps.token()) {
        throw new AppError(
          'hub_token_invalid',
          `The Hugging Face token was refused as invalid (revoked, expired or mistyped) by ${endpoint}. Create a new one at ${endpoint}/settings/tokens and set it in Settings → Hub (or HF_TOKEN, or run \`hf auth login\`), then retry.`,
          { status: res.status, hub_message: hubMessage },
        );
      }
      if (code === 'GatedRepo' || ((res.status === 401 || res.status === 403) && code !== 'RepoNotFound')) {
        const hasToken = Boolean(this.deps.token());
        throw new AppError(
          'gated_repo',
          hasToken
            ? `${repo} is gated and your Hugging Face token has no access to it. Accept the model's terms on ${endpoint}/${repo}, then retry.`
            : `${repo} is gated: accept its terms on ${endpoint}/${repo}, then set a Hugging Face token in Settings → Hub (or HF_TOKEN) and retry.`,
          { status: res.status, hub_message: hubMessage },
        );
      }
      if (code === 'RepoNotFound' || (res.status === 404 && !code)) {
        throw new AppError('model_not_found', `No model "${repo}" on ${endpoint}. Check the name (org/name), or set a token if it is private.`);
      }
      if (code === 'RevisionNotFound') throw new AppError('model_not_found', `${repo} has no such revision. Use a branch, tag or commit that exists (default: main).`);
      if (code === 'EntryNotFound') throw new AppError('model_not_found', `A file of ${repo} is missing on the Hub.`);
      return res; // let the library build its error (5xx…)
    };
  }

  /** Small JSON files (a safetensors index) read during planning, before anything is downloaded. */
  async readJson(repo: string, commit: string, path: string, signal?: AbortSignal): Promise<unknown> {
    const res = await this.checkedFetch(repo, signal)(this.fileUrl(repo, commit, path), { method: 'GET' });
    if (!res.ok) {
      await res.body?.cancel().catch(() => {});
      throw new AppError('upstream_error', `The Hub answered ${res.status} for ${repo}/${path}. Try again later.`);
    }
    try {
      return await res.json();
    } catch {
      throw new AppError('upstream_error', `${repo}/${path} on the Hub is not valid JSON.`);
    }
  }

  /**
   * Who the token belongs to (`/api/whoami-v2`, as `hf auth whoami`). A refused token is an answer
   * (`valid: false`), not an error; an unreachable Hub is `offline`.
   */
  async whoami(signal?: AbortSignal): Promise<HubWhoami> {
    const endpoint = this.endpoint();
    const timeout = AbortSignal.timeout(METADATA_TIMEOUT_MS);
    let res: Response;
    try {
      res = await this.fetchImpl(`${endpoint}/api/whoami-v2`, { headers: this.authHeaders(), signal: AbortSignal.any(signal ? [timeout, signal] : [timeout]) });
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      throw unreachable(endpoint, error, timeout.aborted);
    }
    if (res.status === 401 || res.status === 403) {
      await res.body?.cancel().catch(() => {});
      return { valid: false, user: null, orgs: [], role: null };
    }
    if (!res.ok) {
      await res.body?.cancel().catch(() => {});
      throw new AppError('upstream_error', `The Hub at ${endpoint} answered HTTP ${res.status} to a token check. Try again later.`);
    }
    const body = WhoamiBody.safeParse(await res.json().catch(() => null));
    if (!body.success) throw new AppError('upstream_error', `The Hub at ${endpoint} sent an answer to a token check that Switchyard does not understand.`);
    return { valid: true, user: body.data.name, orgs: (body.data.orgs ?? []).map((o) => o.name), role: body.data.auth?.accessToken?.role ?? null };
  }

  private rethrow(error: unknown, repo: string): never {
    if (isAppError(error)) throw error;
    const status = (error as { statusCode?: number }).statusCode;
    throw new AppError('upstream_error', `The Hub failed to describe ${repo}${status ? ` (HTTP ${status})` : ''}: ${errorMessage(error)}. Try again later.`, undefined, { cause: error });
  }
}

/**
 * The Hub's answer to a bad or revoked token: 401 with `X-Error-Message: Invalid credentials in
 * Authorization header` and no `X-Error-Code` (huggingface_hub `utils/_http.py`). A gated repo carries
 * `X-Error-Code: GatedRepo` instead; the two must not be confused.
 */
export function isInvalidTokenAnswer(status: number, code: string | null, message: string | null): boolean {
  return status === 401 && !code && /invalid (credentials|user token|token)/i.test(message ?? '');
}

/** TLS failures that mean "this certificate is not trusted here", not "the Hub is down". */
const UNTRUSTED_CERT = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * Why a request to the Hub got no answer, as an AppError a person can act on: offline mode or a bad
 * proxy URL (already AppErrors), a timeout, an untrusted certificate (a TLS-inspecting network needs its
 * CA), or any other network failure.
 */
function unreachable(endpoint: string, error: unknown, timedOut: boolean): AppError {
  if (isAppError(error)) return error;
  if (timedOut) return new AppError('offline', `The Hugging Face Hub at ${endpoint} did not answer within ${METADATA_TIMEOUT_MS / 1000} s. Check the connection or HF_ENDPOINT, then retry.`);
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && UNTRUSTED_CERT.has(code)) {
      return new AppError(
        'upstream_error',
        `Cannot reach the Hugging Face Hub at ${endpoint}: its TLS certificate is not trusted here (${code}). If your network inspects TLS with its own CA, point NODE_EXTRA_CA_CERTS or SSL_CERT_FILE at that CA's PEM file (README › Proxies and custom CAs); otherwise check HF_ENDPOINT / Settings → Hub.`,
      );
    }
  }
  return new AppError('offline', `Cannot reach the Hugging Face Hub at ${endpoint} (${errorMessage((error as { cause?: unknown }).cause ?? error)}). Check the connection, or set HF_ENDPOINT / Settings → Hub.`);
}
