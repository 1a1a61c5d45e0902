import { AppError } from '../../shared/errors';
import type { ModelTestResult, RuntimeFlags } from '../../shared/api/models';
import type { Slot } from '../../shared/api/router';
import type { DriverInfo, LaunchPreview } from '../../shared/api/runtimes';
import type { Settings } from '../../shared/settings';
import { driverSettings, type SettingsPlace, type SettingsText } from './settings-group';
import type { ServingEndpoint } from '../serving/endpoint';

export interface ActivateContext {
  /** false once a newer activation or a deactivation superseded this one: stop and throw `cancelled` */
  isCurrent(): boolean;
  /** progress for the activation's events ("vLLM is loading…") */
  onLoading(message: string): void;
  /** the local slot the model goes in (a driver that serves one slot only ever gets `chat`) */
  slot: Slot;
}

export interface TestRequest {
  prompt: string;
  maxTokens: number;
}

/** A model as the serving side knows it: its name, and whose it is. Local drivers get their manifest row. */
export interface ServedModel {
  name: string;
  provider: string;
  runtime: string;
}

/**
 * Where a driver's endpoint stands now. `serving`: it answers for `model` (null: a local runtime
 * switched on without one); `starting`: on its way; `unresponsive`: it stopped answering its health
 * probe (requests would hang); `down`: nothing answers.
 */
export interface EndpointState {
  phase: 'serving' | 'starting' | 'unresponsive' | 'down';
  model: string | null;
}

/**
 * The serving side of a driver: what the activation service needs to make a model answer somewhere,
 * follow it, test it and stop it. A local runtime's driver (vLLM, Ollama) and a process-less one (a
 * remote endpoint) look the same from here; the activation service never asks which runtime it is.
 */
export interface ServingDriver<M extends ServedModel = ServedModel> {
  readonly provider: string;
  readonly runtime: string;
  /** what users read: "vLLM", "Ollama", a provider's name */
  readonly label: string;
  readonly kind: ServingEndpoint['kind'];
  /** serving needs the network (remote endpoints): refused in offline mode before anything starts */
  readonly requiresNetwork: boolean;
  /**
   * its runtime takes the vLLM flag table's launch flags (fit < Settings < the model's < the request);
   * the others refuse flags (Ollama's options are set per request; a remote endpoint was launched by someone else)
   */
  readonly launchFlags?: boolean;
  /**
   * 'manifest': its models are installed rows of the models table, activated under the lifecycle rules
   * (installed, verified, flags); 'provider': only the driver knows its models (remote endpoints)
   */
  readonly models: 'manifest' | 'provider';
  /** the local runtime it serves through (its `runtime.state` events move this driver's state), or null */
  readonly localRuntime: string | null;
  /**
   * the local slots it can serve (default `chat` only). A driver with `embeddings` serves that slot
   * beside whatever serves `chat` — its own chat model (Ollama keeps several loaded) or another runtime's.
   */
  readonly slots?: readonly Slot[];
  /** it reserves a share of the GPU's memory up front (vLLM's `--gpu-memory-utilization`), whatever the model's size */
  readonly gpuShare?: boolean;
  /** its runtime's Settings group: what it is for and its own fields' labels (absent: the common fields' labels) */
  readonly settingsText?: SettingsText;
  /** it cannot start without a model (vLLM serves one per process): a switch to it without one takes its last */
  readonly requiresModel?: boolean;
  /**
   * How a user would start `model` on its runtime by hand, as the supervisor would start it now with
   * these flags (the fit's) and Settings: commands, each as lines (`commandLines`). Absent or null: no
   * command to show (a process-less endpoint).
   */
  launchPreview?(model: string, flags: RuntimeFlags | null, settings: Settings): string[][] | null;
  /** the slot a model goes in by its capability (an embedding model → `embeddings`); default `chat` */
  slotOf?(model: M): Promise<Slot>;
  /** refuses, before anything starts, what the upstream would refuse after loading (throws AppError) */
  check?(model: M, flags: RuntimeFlags): void;
  /** makes the upstream serve `model`; resolves once it answers for it, with where to send requests */
  activate(model: M, flags: RuntimeFlags, ctx: ActivateContext): Promise<ServingEndpoint>;
  /** where requests for a slot (default `chat`) go now, or null when nothing answers; keep it cheap */
  endpoint(slot?: Slot): ServingEndpoint | null;
  state(slot?: Slot): EndpointState;
  /** stops serving `model` (the slot's current one when null); a process-less driver just forgets it */
  deactivate(model: string | null, slot?: Slot): Promise<void>;
  /** one short request to the endpoint, timed; never throws, the result says (default: a chat test) */
  test?(model: M, endpoint: ServingEndpoint, request: TestRequest): Promise<ModelTestResult>;
}

/**
 * A driver's capabilities as the API lists them (`GET /api/v1/system/drivers`); `place`: where its
 * local runtime's settings are (its adapter's), null for a process-less driver.
 */
export function describeDriver(driver: ServingDriver, place: SettingsPlace | null = null): DriverInfo {
  return {
    provider: driver.provider,
    runtime: driver.runtime,
    label: driver.label,
    kind: driver.kind,
    local_runtime: driver.localRuntime,
    models: driver.models,
    requires_model: driver.requiresModel === true,
    launch_flags: driver.launchFlags === true,
    requires_network: driver.requiresNetwork,
    slots: [...slotsOf(driver)],
    settings: place && driverSettings(driver.label, driver.settingsText, place),
  };
}

/** The launch command of `model` on local runtime `runtime`, from that runtime's driver; null when it has none (or no driver serves it). */
export function launchPreviewOf(drivers: DriverRegistry, runtime: string, model: string, flags: RuntimeFlags | null, settings: Settings): LaunchPreview | null {
  const driver = drivers.byLocalRuntime(runtime);
  const commands = driver?.launchPreview?.(model, flags, settings);
  return driver && commands?.length ? { runtime, label: driver.label, commands } : null;
}

/** The slots a driver can serve. */
export function slotsOf(driver: Pick<ServingDriver, 'slots'>): readonly Slot[] {
  return driver.slots ?? ['chat'];
}

/** The drivers a core has, each registered with one line; the coordinators look them up here. */
export class DriverRegistry<D extends ServingDriver = ServingDriver> {
  private readonly list: D[] = [];

  register<T extends D>(driver: T): T {
    if (this.list.some((d) => d.provider === driver.provider)) throw new Error(`a driver for provider ${driver.provider} is already registered`);
    this.list.push(driver);
    return driver;
  }

  /** Drops a provider's driver (a remote provider that was unregistered); false when none was registered. */
  unregister(provider: string): boolean {
    const i = this.list.findIndex((d) => d.provider === provider);
    if (i === -1) return false;
    this.list.splice(i, 1);
    return true;
  }

  all(): readonly D[] {
    return this.list;
  }

  byProvider(provider: string): D | undefined {
    return this.list.find((d) => d.provider === provider);
  }

  byRuntime(runtime: string): D | undefined {
    return this.list.find((d) => d.runtime === runtime);
  }

  byLocalRuntime(runtime: string): D | undefined {
    return this.list.find((d) => d.localRuntime === runtime);
  }

  /** The local runtimes a driver serves through, in registration order. */
  localRuntimes(): string[] {
    return this.list.flatMap((d) => (d.localRuntime ? [d.localRuntime] : []));
  }

  /**
   * The driver of local runtime `id`, as an API request names it: an id no driver serves through is
   * refused (`runtime_not_found`), naming the ones there are.
   */
  requireLocalRuntime(id: string): D {
    const driver = this.byLocalRuntime(id);
    if (driver) return driver;
    throw new AppError('runtime_not_found', `No runtime "${id}" in Switchyard. The runtimes are: ${this.localRuntimes().join(', ') || 'none'}.`);
  }
}
