import { join } from 'node:path';
import { ChatRepo } from './chat/chat-repo';
import { hfHubCache, loadOrCreateToken, SettingsService, StartupOptions, type ResolvedStartupOptions } from './config';
import { ensurePrivateDir, openDatabase, type Db } from './db/database';
import { lockDataDir, type DataDirLock } from './data-dir-lock';
import { AppError } from '../shared/errors';
import { SecretStore, type SecretCipher, type SecretFs } from './secrets';
import { SettingsRepo } from './db/settings-repo';
import { EventBus } from './events';
import { CatalogRepo } from './catalog/catalog-repo';
import { CatalogService } from './catalog/catalog-service';
import { resolveHubToken } from './hub/hub-token';
import { ollamaModelsDir } from './drivers/ollama/models-dir';
import { OllamaDriver } from './drivers/ollama/ollama-driver';
import { HfVllmDriver } from './drivers/hf-vllm/hf-vllm-driver';
import { DriverRegistry } from './drivers/serving-driver';
import { CatalogProvider } from '../shared/api/catalog';
import { ModelCards } from './catalog/model-card';
import { HubClient } from './hub/hub-client';
import { NetClient } from './net/net-client';
import { StorageWatch, type StorageWatchDeps } from './system/storage-watch';
import { LifecycleStore } from './lifecycle';
import { createLogger, type Logger } from './logger';
import { ActivationService } from './models/activation';
import { ModelService } from './models/model-service';
import { ModelsRepo } from './models/models-repo';
import { OllamaModels } from './drivers/ollama/ollama-models';
import { OperationService } from './operations/operation-service';
import { OperationsRepo } from './operations/operations-repo';
import { adapters, childEnv, type RuntimeAdapter } from './runtimes/adapters';
import { RuntimeManager } from './runtimes/manager';
import { RuntimeProcessRepo } from './runtimes/process-repo';
import { OpenAiProxy } from './openai/proxy';
import { runtimeLabel } from '../shared/runtimes';
import { SelfAddresses, forbiddenAddress } from './net/destinations';
import { GpuSampler } from './system/gpu-sampler';
import { SystemStats } from './system/system-stats';
import { UsageRecorder } from './usage/usage-recorder';
import { UsageRepo } from './usage/usage-repo';
import { createRemote, type Remote } from './remote/remote';
import { isUp } from '../shared/runtimes';
import { KserveExporter } from './kserve/export';
import { RemoteForwarder } from './remote/forwarder';
import { syncRemoteDrivers } from './remote/remote-driver';
import { RoutingTable } from './router/routing-table';
import { AliasRepo } from './router/alias-repo';

/** Test seams: real defaults, replaceable by tests. */
export interface CoreSeams {
  fetch?: typeof fetch;
  logger?: Logger;
  /** first retry delay of a failed model download (tests shorten it) */
  downloadRetryBaseMs?: number;
  /** GPU sampler timing (tests sample faster) */
  gpu?: { intervalMs?: number; appsIntervalMs?: number; unavailableRetryMs?: number };
  usageFlushIntervalMs?: number;
  /** encrypts secrets at rest (the desktop app passes Electron's safeStorage) */
  secretCipher?: SecretCipher;
  /** the secret store's file writes (tests fill the disk) */
  secretsFs?: Partial<SecretFs>;
  /** installed-model count for `/api/v1/models/usage` (default: counts the HF cache and Ollama manifests) */
  modelsCount?: () => Promise<number> | number;
  /** remote providers: validation and test timeout (tests shorten it) */
  remote?: { timeoutMs?: number };
  /** the storage watch's disk sizes (tests move the used share across the alert line) */
  storageDisk?: StorageWatchDeps['disk'];
  /** runtimes supervised beside the built-in ones (a test's third runtime; its driver is `activation.register`ed) */
  extraRuntimes?: readonly RuntimeAdapter[];
}

export interface CorePaths {
  dataDir: string;
  db: string;
  logDir: string;
  hfHubCache: () => string;
}

export interface Core {
  readonly options: ResolvedStartupOptions;
  readonly paths: CorePaths;
  readonly token: string;
  readonly logger: Logger;
  readonly db: Db;
  readonly events: EventBus;
  readonly settings: SettingsService;
  readonly state: SettingsRepo;
  readonly runtimes: RuntimeManager;
  readonly hub: HubClient;
  readonly operations: OperationService;
  readonly models: ModelService;
  readonly activation: ActivationService;
  /** every driver, local and process-less (`activation.register(driver)` adds one) */
  readonly drivers: DriverRegistry;
  readonly gpu: GpuSampler;
  readonly systemStats: SystemStats;
  readonly usageRepo: UsageRepo;
  readonly usage: UsageRecorder;
  readonly openai: OpenAiProxy;
  readonly catalog: CatalogService;
  readonly chat: ChatRepo;
  readonly modelCards: ModelCards;
  readonly remote: Remote;
  /** the one way out to the network (proxies, CAs, offline refusal, refused destinations) */
  readonly net: NetClient;
  /** installed models as KServe InferenceServices (issue 19) */
  readonly kserve: KserveExporter;
  /** the disks holding models: `storage.alert` past `storage.alertPercent` (issue 29) */
  readonly storage: StorageWatch;
  /** the router behind `/v1`: every model by name (issue 30) */
  readonly router: RoutingTable;
  readonly startedAt: Date;
  /** this process's hold on the data dir; `describe({ url })` tells the CLI where the API listens */
  readonly instance: DataDirLock;
  /** the addresses the API listens on: no remote provider may point there */
  readonly self: SelfAddresses;
  /** Closes every module in reverse order of creation: runtimes are stopped before the DB closes. */
  stop(): Promise<void>;
}

/**
 * The composition root: builds every core module with explicit arguments. No Electron import here —
 * the same core runs in the Electron main process, under `npm run serve` and in tests.
 */
export async function createCore(input: StartupOptions, seams: CoreSeams = {}): Promise<Core> {
  const options = StartupOptions.parse(input);
  const store = new LifecycleStore();
  const logger = seams.logger ?? createLogger();
  const env = options.env;
  const paths = { dataDir: options.dataDir, db: join(options.dataDir, 'switchyard.db'), logDir: join(options.dataDir, 'logs') };

  try {
    try {
      ensurePrivateDir(options.dataDir, logger);
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error));
      throw new AppError('data_dir_unusable', `The data dir ${options.dataDir} cannot be created or used (${reason}): choose another with --data-dir or SWITCHYARD_DATA_DIR, or fix its permissions.`, { dataDir: options.dataDir }, { cause: error });
    }
    // before anything reads or repairs state (token, database, runtime recovery): one instance per data dir
    const instance = lockDataDir(options.dataDir);
    store.add('data-dir-lock', () => instance.release());
    const token = loadOrCreateToken(options.dataDir, options.token);
    const db = openDatabase(paths.db);
    store.add('db', () => void db.close());
    const state = new SettingsRepo(db);
    const secrets = new SecretStore(join(options.dataDir, 'secrets.json'), seams.secretCipher ?? null, (message) => logger.warn(message), seams.secretsFs);
    const settings = new SettingsService(state, env, options.flagOverrides, secrets);
    const hubToken = () => resolveHubToken(settings.get().hub.token, env, settings.get().hub.home)?.token ?? null;
    const hubCache = () => hfHubCache(settings.get(), env);
    const events = new EventBus((error) => logger.error({ error }, 'event listener failed'));
    // every call to the Hub, its CDN and the catalog sources; closed last (after the catalog and installs)
    // where keys and prompts may never go (metadata services, Switchyard's own API): filled in when the server listens
    const self = new SelfAddresses();
    const net = new NetClient({
      env,
      guard: (address, port) => forbiddenAddress(address) ?? (self.has(address, port) ? "it is Switchyard's own API" : null),
      settings: () => settings.get().network,
      offline: () => settings.get().catalog.offline,
      onWarning: (message) => logger.warn(message),
    });
    store.add('net', () => net.close());
    // remote providers (issue 18): every call to them goes through `net`, so offline mode refuses it
    const remote = createRemote({
      db,
      secrets,
      settings,
      events,
      logger: logger.child({ module: 'remote' }),
      env,
      fetch: net.fetch,
      // the remote model being served (activation is built below; asked lazily)
      active: () => {
        const e = activation.endpoint();
        return e?.kind === 'remote' && e.model ? { provider: e.provider, model: e.model } : null;
      },
      // unregistering the active provider stops serving it the one way every stop goes
      onRemoved: async () => void (await activation.deactivate({ runtime: 'remote' })),
      validationTimeoutMs: seams.remote?.timeoutMs,
      self,
    });
    // usage of requests that just ended is written in batches: what is pending goes before the database closes
    store.add('remote-usage', () => remote.repo.flushUsage());

    // every driver is registered with one line (below); both coordinators (installing in ModelService,
    // serving in ActivationService) find them in this registry and never name a runtime
    const drivers = new DriverRegistry();
    const runtimes = new RuntimeManager({
      settings,
      processes: new RuntimeProcessRepo(db),
      state,
      events,
      logger: logger.child({ module: 'runtimes' }),
      logDir: paths.logDir,
      env,
      hfHubCache: hubCache,
      fetch: seams.fetch,
      adapters: [...adapters, ...(seams.extraRuntimes ?? [])],
      // what a runtime can do is its driver's: declared once, there
      requiresModel: (name) => drivers.byLocalRuntime(name)?.requiresModel === true,
    });
    store.add('runtimes', () => runtimes.close());
    await runtimes.init();

    const usageRepo = new UsageRepo(db);
    const usage = store.add('usage', new UsageRecorder({ repo: usageRepo, logger: logger.child({ module: 'usage' }), flushIntervalMs: seams.usageFlushIntervalMs }));
    const lastUsed = new Map<string, number>();
    // eslint-disable-next-line prefer-const -- assigned once the table's inputs exist (the proxy only asks per request)
    let router: RoutingTable;
    const openai = store.add(
      'openai',
      new OpenAiProxy({
        // the routing table (built last, below; asked per request, after init)
        router: {
          resolve: (model, endpoint) => router.resolve(model, endpoint),
          ensureLoaded: (route, signal) => router.ensureLoaded(route, signal),
          touch: (route) => router.touch(route),
          models: () => router.models(),
        },
        timeouts: () => ({ headersMs: settings.get().runtime.proxyHeadersTimeoutMs, idleMs: settings.get().runtime.proxyIdleTimeoutMs }),
        net,
        usage,
        logger: logger.child({ module: 'openai' }),
        remote: new RemoteForwarder({ remote, net, events, logger: logger.child({ module: 'remote' }), offline: () => settings.get().catalog.offline }),
        // the manifest's last_used, written at most once a minute per model (not per request)
        onUse: (model) => {
          const now = Date.now();
          if (now - (lastUsed.get(model) ?? 0) < 60_000) return;
          lastUsed.set(model, now);
          modelsRepo.touchLastUsed(model);
        },
      }),
    );
    // a runtime that stops answering its health probes releases the requests waiting on it at once
    store.add(
      'openai-release',
      events.on(
        (e) =>
          e.type === 'runtime.state' &&
          e.runtime.state === 'unresponsive' &&
          openai.releaseRuntime(e.runtime.name, `${runtimeLabel(e.runtime.name)} stopped answering (missed its health probes), so this request was ended instead of waiting — restart it in Switchyard › Runtimes and retry.`),
        ['runtime.state'],
      ),
    );
    const gpu = store.add(
      'gpu',
      new GpuSampler({
        events,
        logger: logger.child({ module: 'gpu' }),
        binary: () => settings.get().gpu.nvidiaSmiBinary ?? 'nvidia-smi',
        env: childEnv(env),
        intervalMs: seams.gpu?.intervalMs ?? settings.get().gpu.sampleIntervalMs,
        appsIntervalMs: seams.gpu?.appsIntervalMs,
        unavailableRetryMs: seams.gpu?.unavailableRetryMs,
        // a runtime's pid leads its process group (children such as vLLM's engine core share it)
        runtimeGroups: () => runtimes.list().flatMap((r) => (r.pid ? [{ runtime: r.name, pgid: r.pid, model: r.model }] : [])),
      }),
    );
    gpu.start();
    let smiBinary = settings.get().gpu.nvidiaSmiBinary;
    const offSettings = events.on(() => {
      if (settings.get().gpu.nvidiaSmiBinary === smiBinary) return;
      smiBinary = settings.get().gpu.nvidiaSmiBinary;
      gpu.restart();
    }, ['settings.changed']);
    store.add('gpu-settings', offSettings);
    const ollamaDir = () => ollamaModelsDir({ configured: settings.get().ollama.modelsDir ?? env.OLLAMA_MODELS ?? null, env, external: runtimes.info('ollama').state === 'external' });
    const systemStats = new SystemStats({
      gpu,
      dataDir: options.dataDir,
      hfHubCache: hubCache,
      ollamaModelsDir: ollamaDir,
      storageLimitBytes: () => settings.get().downloads.maxStorageBytes,
      // the manifest (built below) is the source of truth once it exists; called per request, after init
      modelsCount: seams.modelsCount ?? (() => models.list().filter((m) => m.status !== 'missing').length),
    });
    // a model row of a kind no driver here installs and serves (a newer Switchyard's) is left out of lists
    const modelsRepo = new ModelsRepo(db, (kind) => drivers.byProvider(kind.provider)?.models === 'manifest' && drivers.byLocalRuntime(kind.runtime) !== undefined);
    const catalog = store.add(
      'catalog',
      new CatalogService({
        hubToken,
        repo: new CatalogRepo(db),
        settings,
        events,
        logger: logger.child({ module: 'catalog' }),
        gpus: gpu,
        fetch: seams.fetch,
        remoteFetch: net.fetch,
        // installed models get a fit from their local files (and Ollama's metadata), offline too
        installed: {
          find: (name) => {
            const m = modelsRepo.find(name);
            // the catalog has sources for its own providers only: another driver's model has no catalog fit
            const provider = CatalogProvider.safeParse(m?.provider);
            return m && m.status === 'installed' && provider.success ? { ...m, provider: provider.data } : null;
          },
          ollamaUrl: () => {
            const o = runtimes.info('ollama');
            return isUp(o.state) ? o.base_url : null;
          },
        },
      }),
    );

    const hub = new HubClient({ endpoint: () => settings.get().hub.endpoint, token: hubToken, net });
    const operations = store.add('operations', new OperationService({ repo: new OperationsRepo(db), events, logger: logger.child({ module: 'operations' }) }));
    drivers.register(
      new HfVllmDriver({
        runtimes,
        models: modelsRepo,
        hub,
        settings,
        logger: logger.child({ module: 'models' }),
        hfHubCache: hubCache,
        retryBaseMs: seams.downloadRetryBaseMs,
        fetch: seams.fetch,
      }),
    );
    drivers.register(
      new OllamaDriver({
        runtimes,
        store: new OllamaModels(seams.fetch),
        settings,
        loadTimeoutMs: () => settings.get().runtime.startTimeoutMs,
        logger: logger.child({ module: 'ollama' }),
        fetch: seams.fetch,
        registryFetch: net.fetch,
      }),
    );
    const activation = new ActivationService({
      models: modelsRepo,
      runtimes,
      settings,
      events,
      logger: logger.child({ module: 'activation' }),
      drivers,
      fitRequest: () => catalog.fitRequest({}),
      netFetch: net.fetch,
      state,
    });
    const models = new ModelService({
      models: modelsRepo,
      lifecycle: activation,
      checks: activation.checks,
      operations,
      drivers,
      runtimes,
      settings,
      events,
      logger: logger.child({ module: 'models' }),
    });
    // one driver per remote provider, kept in step as providers are added and removed
    store.add('remote-drivers', syncRemoteDrivers(remote.providers, drivers, events));
    // closed before operations: stops discovery, then running installs are aborted (they resume on next start)
    store.add('models', () => models.close());
    await models.init();
    await activation.init();
    const storage = store.add(
      'storage',
      new StorageWatch({ settings, events, logger: logger.child({ module: 'storage' }), hfHubCache: hubCache, ollamaModelsDir: ollamaDir, models: () => modelsRepo.list(), disk: seams.storageDisk }),
    );
    storage.start();
    // built last: its table reads the slots, the manifest and the providers, and follows their events
    router = new RoutingTable({
      activation,
      drivers,
      models: modelsRepo,
      providers: remote.providers,
      aliases: new AliasRepo(db),
      settings,
      events,
      logger: logger.child({ module: 'router' }),
      fetch: net.fetch,
    });
    store.add('router', () => router.stop());

    return {
      options,
      paths: { ...paths, hfHubCache: hubCache },
      token,
      logger,
      db,
      events,
      settings,
      state,
      runtimes,
      hub,
      operations,
      models,
      activation,
      drivers,
      gpu,
      systemStats,
      usageRepo,
      usage,
      openai,
      catalog,
      chat: new ChatRepo(db),
      remote,
      net,
      router,
      kserve: new KserveExporter({ models: modelsRepo, settings, gpus: gpu, hub, offline: () => catalog.offline }),
      modelCards: new ModelCards({ repo: new CatalogRepo(db), hub, offline: () => catalog.offline, ttlMinutes: () => settings.get().catalog.ttlMinutes, fetch: net.fetch }),
      storage,
      startedAt: new Date(),
      instance,
      self,
      stop: () => store.close((name, error) => logger.error({ error, module: name }, 'error while stopping')),
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}
