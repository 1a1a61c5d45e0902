import { Ollama } from 'ollama';
import { AppError, errorMessage } from '../../../shared/errors';
import type { ModelCapabilities } from '../../../shared/api/models';
import { capabilitiesFromOllama } from '../../models/capabilities';

export interface OllamaPullProgress {
  status: string;
  bytesDone: number;
  bytesTotal: number | null;
}

export interface OllamaTag {
  name: string;
  size: number;
  digest: string;
  quantization: string | null;
  /** a cloud model (`remote_model`/`remote_host` in /api/tags): served by ollama.com, no local weights */
  remote: { model: string; host: string } | null;
}


/**
 * Installs and removes Ollama models through the official `ollama` client (one client per stream,
 * as its README recommends, so aborting one pull never cuts another).
 */
export class OllamaModels {
  constructor(private readonly fetchImpl?: typeof fetch) {}

  private client(baseUrl: string): Ollama {
    return new Ollama({ host: baseUrl, ...(this.fetchImpl ? { fetch: this.fetchImpl } : {}) });
  }

  /** Streams `POST /api/pull`; layer progress is summed over digests. An `{"error"}` line fails with Ollama's message. */
  async pull(baseUrl: string, name: string, signal: AbortSignal, onProgress: (p: OllamaPullProgress) => void): Promise<void> {
    signal.throwIfAborted();
    const client = this.client(baseUrl);
    const layers = new Map<string, { total: number; completed: number }>();
    let stream;
    try {
      stream = await client.pull({ model: name, stream: true });
    } catch (error) {
      throw this.mapError(error, name, baseUrl);
    }
    const onAbort = () => stream.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      for await (const part of stream) {
        if (part.digest && typeof part.total === 'number') layers.set(part.digest, { total: part.total, completed: part.completed ?? 0 });
        let done = 0;
        let total = 0;
        for (const l of layers.values()) {
          done += l.completed;
          total += l.total;
        }
        onProgress({ status: part.status, bytesDone: done, bytesTotal: total > 0 ? total : null });
      }
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      throw this.mapError(error, name, baseUrl);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  async remove(baseUrl: string, name: string): Promise<'deleted' | 'absent'> {
    try {
      await this.client(baseUrl).delete({ model: name });
      return 'deleted';
    } catch (error) {
      if ((error as { status_code?: number }).status_code === 404) return 'absent';
      throw this.mapError(error, name, baseUrl);
    }
  }

  async list(baseUrl: string): Promise<OllamaTag[]> {
    try {
      const res = await this.client(baseUrl).list();
      return res.models.map((m) => {
        const { remote_model: remoteModel, remote_host: remoteHost } = m as { remote_model?: string; remote_host?: string };
        return {
          name: m.name,
          size: m.size,
          digest: m.digest,
          quantization: m.details?.quantization_level ?? null,
          remote: remoteModel || remoteHost ? { model: remoteModel ?? m.name, host: remoteHost ?? '' } : null,
        };
      });
    } catch (error) {
      throw this.mapError(error, 'the model list', baseUrl);
    }
  }

  async capabilities(baseUrl: string, name: string): Promise<ModelCapabilities> {
    try {
      const show = await this.client(baseUrl).show({ model: name });
      const info = show.model_info instanceof Map ? Object.fromEntries(show.model_info) : show.model_info;
      return capabilitiesFromOllama({ ...(show as unknown as Record<string, unknown>), model_info: info });
    } catch (error) {
      throw this.mapError(error, name, baseUrl);
    }
  }

  private mapError(error: unknown, name: string, baseUrl: string): AppError {
    const message = errorMessage(error);
    if (/file does not exist|not found/i.test(message)) {
      return new AppError('model_not_found', `Ollama has no model "${name}" (${message}). Check the name on ollama.com/library, e.g. "qwen2.5:0.5b".`);
    }
    if (error instanceof TypeError || /ECONNREFUSED|fetch failed/i.test(message)) {
      return new AppError('runtime_not_ready', `Ollama is not answering on ${baseUrl} (${message}). Start it from Runtimes and retry.`);
    }
    return new AppError('upstream_error', `Ollama: ${message}`);
  }
}
