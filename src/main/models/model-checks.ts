import type { ModelTestResult } from '../../shared/api/models';
import type { Slot } from '../../shared/api/router';
import { AppError } from '../../shared/errors';
import { installsModels } from '../drivers/model-driver';
import { chatTest } from '../drivers/openai-test';
import type { DriverRegistry } from '../drivers/serving-driver';
import type { EventBus } from '../events';
import type { Logger } from '../logger';
import type { RuntimeManager } from '../runtimes/manager';
import { filesValidated } from './file-validation';
import { driverOf, requireInstalled } from './installed-model';
import type { ModelRecord, ModelsRepo, ValidationRecord } from './models-repo';

export interface ModelChecksDeps {
  models: ModelsRepo;
  runtimes: RuntimeManager;
  drivers: DriverRegistry;
  events: EventBus;
  logger: Logger;
  /** how a test reaches an endpoint off this machine (NetClient's fetch: proxy, CAs, offline refusal) */
  netFetch: typeof fetch;
  /** where a model is served now (the activation service): a test goes to that endpoint only */
  slots: { serving(m: ModelRecord): boolean; slotOf(m: ModelRecord): Slot | null };
}

const DEFAULT_TEST_PROMPT = 'Reply with one short sentence: what are you?';

/**
 * What "validated" means and the checks that land in a model's validation history beside its
 * activations: the chat test of the endpoint serving it, and the re-hash of its files.
 */
export class ModelChecks {
  constructor(private readonly deps: ModelChecksDeps) {}

  /** Files present, of the recorded size and not modified since their last good validation (file-validation.ts). */
  validated(m: ModelRecord): boolean {
    return filesValidated(this.deps.models, this.deps.logger, m);
  }

  lastTest(name: string): ModelTestResult | null {
    return (this.deps.models.latestValidation(name, 'test')?.details as ModelTestResult | undefined) ?? null;
  }

  validations(name: string, limit: number): { validated: boolean; validations: ValidationRecord[] } {
    const m = requireInstalled(this.deps.models, name);
    return { validated: this.validated(m), validations: this.deps.models.validations(m.name, limit) };
  }

  /**
   * A short chat completion sent to the endpoint serving this model — never another one — timed
   * (latency, time to first token, tokens/s) and recorded, pass or fail.
   */
  async test(name: string, body: { prompt?: string; max_tokens?: number } = {}): Promise<ModelTestResult> {
    const m = requireInstalled(this.deps.models, name);
    const driver = driverOf(this.deps.drivers, m);
    const endpoint = driver.endpoint(this.deps.slots.slotOf(m) ?? 'chat');
    if (!this.deps.slots.serving(m) || !endpoint) {
      const info = this.deps.runtimes.info(m.runtime);
      throw new AppError('model_not_active', `${m.name} is not being served (${driver.label} is ${info.state}${info.model ? ` with ${info.model}` : ''}). Activate it first.`);
    }
    const request = { prompt: body.prompt ?? DEFAULT_TEST_PROMPT, maxTokens: body.max_tokens ?? 64 };
    const result = driver.test
      ? await driver.test(m, endpoint, request)
      : await chatTest({ fetch: endpoint.transport === 'net' ? this.deps.netFetch : fetch, endpoint, runtime: driver.runtime, label: driver.label, model: m.name, servedName: endpoint.model ?? m.name }, request.prompt, request.maxTokens);
    this.deps.models.addValidation(m.name, 'test', result.ok, result);
    if (result.ok) this.deps.models.touchLastUsed(m.name);
    this.deps.events.emit({ type: 'models.changed' });
    return result;
  }

  /** Re-hashes every file of an HF model (sha256 for LFS files, git sha1 for the others) and records the result. */
  async verify(name: string): Promise<ValidationRecord> {
    const m = requireInstalled(this.deps.models, name);
    const driver = driverOf(this.deps.drivers, m);
    if (!installsModels(driver)) throw new AppError('bad_request', `${m.name} has no files here to verify.`);
    const { ok, details } = await driver.verify(m);
    const record = this.deps.models.addValidation(m.name, 'files', ok, details);
    this.deps.events.emit({ type: 'models.changed' });
    return record;
  }
}
