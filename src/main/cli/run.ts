import { parseArgs } from 'node:util';
import type { z } from 'zod';
import type * as models from '../../shared/api/models';
import type { InstalledModel, Operation } from '../../shared/api/models';
import type * as catalog from '../../shared/api/catalog';
import type * as library from '../../shared/api/library';
import { resolve as resolvePath } from 'node:path';
import { RuntimeName, type LogLine, type RuntimeInfo } from '../../shared/api/runtimes';
import { formatBytes } from '../../shared/format';
import { ApiClient, CliError, resolveConnection } from './client';
import { exportCommand } from './export-kserve';
import { providerCommand } from './provider';
import { aliasCommand, routesCommand } from './router';
import { age, table } from './table';
import { sleep } from '../runtimes/process-group';

export const USAGE = `Usage: switchyard [options] <command> [arguments]

Talks to a running Switchyard (npm run serve, or the desktop app) over its local API.

Commands:
  status                         runtimes: state, port, pid, model; which one is active
  list | ls                      installed models
  pull | install <name>          install a model: a Hugging Face repo (org/name) or an Ollama name
                                 (llama3.2:3b); shows progress, Ctrl-C cancels (partial files are kept,
                                 the same pull resumes). --provider huggingface|ollama, --detach
  import <path> [--name NAME]    import a .gguf file (into Ollama) or a model folder with config.json,
                                 tokenizer and *.safetensors (served by vLLM from its path); shows
                                 progress like pull (--detach)
  rm <name>                      remove an installed model
  activate <name>                serve an installed model (starts or switches its runtime)
  deactivate [name]              stop serving (Ollama unloads it; vLLM stops)
  start <ollama|vllm> [model]    start a runtime (the other one stops; vLLM needs a model)
  stop <ollama|vllm>             stop a runtime Switchyard started
  logs [ollama|vllm] [-n N]      the last N log lines (default 100) of a runtime, else of the active one
  ps | operations                recent installs and removals
  search <query>                 search the model catalog (cached and bundled; works offline)
  provider list                  remote providers: kind, base URL, masked key and its source, validation
  provider add <id> <kind>       register one (kind: openai, gemini, anthropic, openai_compatible, kserve);
                                 --base-url URL, --models id,id (added by hand), --key-stdin reads the API
                                 key from standard input (never from the command line)
  provider validate <id>         run the validation steps (--model ID: it must be listed); exit 1 if not valid
  provider enable|disable <id>   route to it again / route nothing to it (kept, with its key and history)
  provider rm <id>               unregister a disabled provider (its key is deleted, its history kept)
  routes [--json]                every model /v1 answers for by name: slot, target, state, health, aliases
  alias set <alias> <target>     a short name for a route (a local model, or <provider>/<model>)
  alias rm <alias>               remove an alias
  export kserve <model>          an installed Hugging Face model as a KServe InferenceService (YAML; works
                                 offline); --catalog <repo> instead: a catalog model at the Hub's current
                                 commit (online); --name NAME (a DNS-1123 label), --gpus N, --gpu-memory-gib G (the cluster's GPUs; default this
                                 machine's), --namespace NS, --storage hf|runtime|pvc (--pvc claim/path),
                                 --service-account SA, --hf-token-secret NAME, -o file

Options:
  --url URL          Switchyard's address (env SWITCHYARD_URL; default http://127.0.0.1:8765,
                     or --host/--port, SWITCHYARD_HOST/SWITCHYARD_PORT)
  --token TOKEN      API token (env SWITCHYARD_TOKEN; default: read from <data dir>/token)
  --data-dir DIR     data dir of the running instance, for its token (env SWITCHYARD_DATA_DIR;
                     default ~/.local/share/switchyard). The CLI never creates a token.
  --json             print the API's JSON answer instead of a table
  -h, --help         this help

Exit codes: 0 done, 1 failed (one line: code and message), 2 wrong usage, 130 interrupted.
`;

export interface CliIo {
  env: NodeJS.ProcessEnv;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** aborted on Ctrl-C: a pull in progress is cancelled */
  signal?: AbortSignal;
  /** whether stderr is a terminal (progress redraws one line instead of printing many) */
  tty?: boolean;
  /** all of standard input (`provider add --key-stdin`) */
  readStdin?: () => Promise<string>;
  pollMs?: number;
}

const OPTIONS = {
  url: { type: 'string' },
  token: { type: 'string' },
  'data-dir': { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  provider: { type: 'string' },
  runtime: { type: 'string' },
  lines: { type: 'string', short: 'n' },
  limit: { type: 'string' },
  detach: { type: 'boolean' },
  cleanup: { type: 'boolean' },
  'base-url': { type: 'string' },
  'key-stdin': { type: 'boolean' },
  models: { type: 'string' },
  model: { type: 'string' },
  gpus: { type: 'string' },
  'gpu-memory-gib': { type: 'string' },
  namespace: { type: 'string' },
  storage: { type: 'string' },
  pvc: { type: 'string' },
  'service-account': { type: 'string' },
  'hf-token-secret': { type: 'string' },
  output: { type: 'string', short: 'o' },
  name: { type: 'string' },
  catalog: { type: 'string' },
} as const;

type Values = { [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K]['type'] extends 'string' ? string : boolean };

type RegistryResponse = z.infer<typeof models.RegistryResponse>;
type InstallResponse = z.infer<typeof models.InstallResponse>;
type ActivationResponse = z.infer<typeof models.ActivationResponse>;
type DeactivationResponse = z.infer<typeof models.DeactivationResponse>;
type OperationsResponse = z.infer<typeof models.OperationsResponse>;
type CatalogSearchResponse = z.infer<typeof catalog.CatalogSearchResponse>;

/** Runs one CLI command; resolves with the exit code. Never throws. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let values: Values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true }));
  } catch (error) {
    io.stderr(`switchyard: ${error instanceof Error ? error.message : String(error)}\nRun switchyard --help for the commands and options.\n`);
    return 2;
  }
  const [command, ...args] = positionals;
  if (values.help || command === 'help') {
    io.stdout(USAGE);
    return 0;
  }
  if (!command) {
    io.stderr(USAGE);
    return 2;
  }
  try {
    const handler = COMMANDS[command];
    if (!handler) throw new CliError('usage', `unknown command "${command}". Run switchyard --help for the commands.`, 2);
    const client = new ApiClient(resolveConnection({ url: values.url, token: values.token, dataDir: values['data-dir'], host: values.host, port: values.port }, io.env));
    return await handler({ client, args, values, io });
  } catch (error) {
    if (error instanceof CliError) {
      io.stderr(error.code === 'usage' ? `switchyard: ${error.message}\n` : `switchyard: ${error.code}: ${error.message}\n`);
      return error.exitCode;
    }
    io.stderr(`switchyard: internal_error: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

interface Ctx {
  client: ApiClient;
  args: string[];
  values: Values;
  io: CliIo;
}

type Handler = (ctx: Ctx) => Promise<number>;

function need(args: string[], n: number, what: string): void {
  if (args.length < n) throw new CliError('usage', `missing ${what}. Run switchyard --help for the commands.`, 2);
}

/** A runtime id as typed; which runtimes exist is the server's to say (`runtime_not_found` names them). */
function runtimeArg(value: string | undefined): string {
  if (!RuntimeName.safeParse(value).success) throw new CliError('usage', `"${value}" is not a runtime id (e.g. ollama, vllm): lowercase letters, digits, - or _.`, 2);
  return value!;
}

function intArg(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new CliError('usage', `${name} must be a positive whole number (got "${value}").`, 2);
  return n;
}

const enc = encodeURIComponent;

function printJson(io: CliIo, value: unknown): void {
  io.stdout(`${JSON.stringify(value, null, 2)}\n`);
}

function runtimeRows(servers: RuntimeInfo[]): string {
  return table(
    ['RUNTIME', 'STATE', 'ACTIVE', 'ADDRESS', 'PID', 'MODEL'],
    servers.map((s) => [s.name, s.state.replace('_', ' '), s.active ? 'yes' : '', `${s.host}:${s.port}`, s.pid, s.model]),
  );
}

function runtimeErrors(servers: RuntimeInfo[]): string {
  return servers
    .filter((s) => s.last_error && s.state !== 'ready')
    .map((s) => `${s.name}: ${s.last_error!.code}: ${s.last_error!.message}\n`)
    .join('');
}

const status: Handler = async ({ client, io, values }) => {
  const body = await client.call<{ servers: RuntimeInfo[] }>('GET', '/api/v1/system/llm-servers');
  if (values.json) printJson(io, body);
  else io.stdout(runtimeRows(body.servers) + runtimeErrors(body.servers));
  return 0;
};

const list: Handler = async ({ client, io, values }) => {
  const body = await client.call<RegistryResponse>('GET', '/api/v1/models/registry');
  if (values.json) printJson(io, body);
  else if (body.models.length === 0) io.stdout('No models installed. Install one with: switchyard pull <org/name | ollama-name>\n');
  else {
    const state = (m: InstalledModel) => (m.serving ? 'serving' : m.active ? 'active' : m.validated ? 'validated' : m.status);
    io.stdout(table(['NAME', 'PROVIDER', 'RUNTIME', 'SIZE', 'STATE', 'INSTALLED'], body.models.map((m) => [m.name, m.provider, m.runtime, formatBytes(m.size_bytes), state(m), age(m.installed_at)])));
  }
  return 0;
};

/** HF repos are `org/name`; Ollama names are `name[:tag]` (or `namespace/name:tag`, so pass --provider). */
function providerOf(name: string, explicit: string | undefined): 'huggingface' | 'ollama' {
  if (explicit === 'huggingface' || explicit === 'hf') return 'huggingface';
  if (explicit === 'ollama') return 'ollama';
  if (explicit !== undefined) throw new CliError('usage', `unknown provider "${explicit}": use huggingface or ollama.`, 2);
  return name.includes('/') && !name.includes(':') ? 'huggingface' : 'ollama';
}

function progressLine(op: Operation): string {
  const pct = `${op.progress.toFixed(1).padStart(5)} %`;
  const bytes = op.bytes_total ? `${formatBytes(op.bytes_done)} / ${formatBytes(op.bytes_total)}` : '';
  const speed = op.speed_bps ? `${formatBytes(op.speed_bps)}/s` : '';
  const eta = op.eta_seconds !== null ? `ETA ${Math.round(op.eta_seconds)} s` : '';
  return [op.model_name, pct, bytes, speed, eta, op.message].filter(Boolean).join('   ');
}


/** Follows an operation to its end, printing progress; Ctrl-C (io.signal) cancels it. */
async function follow(ctx: Ctx, id: string): Promise<number> {
  const { client, io } = ctx;
  let last = '';
  let lastPrinted = -10;
  for (;;) {
    if (io.signal?.aborted) {
      const { operation } = await client.call<{ operation: Operation }>('POST', `/api/v1/models/operations/${enc(id)}/cancel`, { cleanup: ctx.values.cleanup === true });
      if (io.tty) io.stderr('\n');
      io.stderr(`switchyard: cancelled: ${operation.model_name}: ${operation.message} Run the same command again to resume.\n`);
      return 130;
    }
    const { operation: op } = await client.call<{ operation: Operation }>('GET', `/api/v1/models/operations/${enc(id)}`);
    if (op.status === 'completed' || op.status === 'failed' || op.status === 'cancelled') {
      if (io.tty && last) io.stderr('\n');
      if (ctx.values.json) printJson(io, { success: op.status === 'completed', operation: op });
      if (op.status === 'completed') {
        if (!ctx.values.json) io.stdout(`${op.operation_type === 'remove' ? 'removed' : 'installed'} ${op.model_name}: ${op.message}\n`);
        return 0;
      }
      const error = op.error ?? { code: op.status, message: op.message };
      io.stderr(`switchyard: ${error.code}: ${error.message}\n`);
      return 1;
    }
    const line = progressLine(op);
    if (io.tty) io.stderr(`\r\x1b[2K${line}`);
    // Piped output: a line per 10 % or per new message, not one per poll.
    else if (line !== last && (op.progress - lastPrinted >= 10 || !last || op.message !== last.split('   ').at(-1))) {
      io.stderr(`${line}\n`);
      lastPrinted = op.progress;
    }
    last = line;
    await sleep(io.pollMs ?? 500, io.signal);
  }
}

const pull: Handler = async (ctx) => {
  const { client, args, values, io } = ctx;
  need(args, 1, 'the model to install (a Hugging Face repo like Qwen/Qwen3-0.6B or an Ollama name like llama3.2:3b)');
  const name = args[0]!;
  const provider = providerOf(name, values.provider);
  const runtime = values.runtime === undefined ? undefined : runtimeArg(values.runtime);
  const started = await client.call<InstallResponse>('POST', '/api/v1/models/registry/install', { name, provider, ...(runtime ? { runtime } : {}) });
  if (values.detach) {
    if (values.json) printJson(io, started);
    else io.stdout(`${started.message} (operation ${started.operation_id}; follow it with switchyard ps)\n`);
    return 0;
  }
  return follow(ctx, started.operation_id);
};

type ImportResponse = z.infer<typeof library.ImportResponse>;

/** `switchyard import <path> [--name]`: the path as given, made absolute here (the API takes absolute paths). */
const importModel: Handler = async (ctx) => {
  const { client, args, values, io } = ctx;
  need(args, 1, 'the .gguf file or model folder to import');
  const path = resolvePath(args[0]!);
  const started = await client.call<ImportResponse>('POST', '/api/v1/models/registry/import', { path, ...(values.name ? { name: values.name } : {}) });
  if (values.detach) {
    if (values.json) printJson(io, started);
    else io.stdout(`${started.message} (operation ${started.operation_id}; follow it with switchyard ps)\n`);
    return 0;
  }
  return follow(ctx, started.operation_id);
};

const rm: Handler = async (ctx) => {
  need(ctx.args, 1, 'the model to remove');
  const { operation } = await ctx.client.call<{ operation: Operation }>('DELETE', `/api/v1/models/registry/${enc(ctx.args[0]!)}`);
  return follow(ctx, operation.operation_id);
};

const activate: Handler = async ({ client, args, values, io }) => {
  need(args, 1, 'the model to activate');
  const runtime = values.runtime === undefined ? undefined : runtimeArg(values.runtime);
  const body = await client.call<ActivationResponse>('POST', '/api/v1/models/activate', { name: args[0], ...(runtime ? { runtime } : {}) });
  if (values.json) printJson(io, body);
  else io.stdout(`${body.activation.model} is active on ${body.activation.runtime} (${body.activation.base_url}, ${body.activation.serving ? 'serving' : 'loading'}, ${(body.activation.load_ms / 1000).toFixed(1)} s)\n`);
  return 0;
};

const deactivate: Handler = async ({ client, args, values, io }) => {
  const body = await client.call<DeactivationResponse>('POST', '/api/v1/models/deactivate', args[0] ? { name: args[0] } : {});
  if (values.json) printJson(io, body);
  else io.stdout(`${body.message}\n`);
  return 0;
};

const start: Handler = async ({ client, args, values, io }) => {
  need(args, 1, 'the runtime to start (ollama or vllm)');
  const runtime = runtimeArg(args[0]);
  const body = await client.call<{ server: RuntimeInfo | null }>('POST', '/api/v1/system/llm-servers/active', { server_name: runtime, ...(args[1] ? { model_name: args[1] } : {}) });
  if (values.json) printJson(io, body);
  else if (body.server) io.stdout(runtimeRows([body.server]));
  return 0;
};

const stop: Handler = async ({ client, args, values, io }) => {
  need(args, 1, 'the runtime to stop (ollama or vllm)');
  const body = await client.call<{ server: RuntimeInfo }>('POST', `/api/v1/system/llm-servers/${runtimeArg(args[0])}/stop`);
  if (values.json) printJson(io, body);
  else io.stdout(runtimeRows([body.server]));
  return 0;
};

const logs: Handler = async ({ client, args, values, io }) => {
  let runtime = args[0] === undefined ? undefined : runtimeArg(args[0]);
  if (!runtime) {
    const active = await client.call<{ active_server: string | null }>('GET', '/api/v1/system/llm-servers/active');
    if (!active.active_server) throw new CliError('usage', 'no runtime is active: name one, e.g. switchyard logs ollama (or vllm).', 2);
    runtime = active.active_server;
  }
  const tail = intArg(values.lines, '-n', 100);
  const body = await client.call<{ lines: LogLine[] }>('GET', `/api/v1/system/llm-servers/${runtime}/logs?tail=${tail}`);
  if (values.json) printJson(io, body);
  else io.stdout(body.lines.map((l) => `${l.line}\n`).join(''));
  return 0;
};

const ps: Handler = async ({ client, values, io }) => {
  const body = await client.call<OperationsResponse>('GET', `/api/v1/models/operations?limit=${intArg(values.limit, '--limit', 20)}`);
  if (values.json) printJson(io, body);
  else if (body.operations.length === 0) io.stdout('No installs or removals yet.\n');
  else {
    io.stdout(
      table(
        ['ID', 'TYPE', 'MODEL', 'STATUS', 'PROGRESS', 'SIZE', 'CREATED', 'MESSAGE'],
        body.operations.map((o) => [o.operation_id.slice(0, 8), o.operation_type, o.model_name, o.status.replace('_', ' '), `${Math.round(o.progress)} %`, o.bytes_total ? formatBytes(o.bytes_total) : null, age(o.created_at), o.error ? `${o.error.code}: ${o.error.message}` : o.message]),
      ),
    );
  }
  return 0;
};

const search: Handler = async ({ client, args, values, io }) => {
  need(args, 1, 'what to search for');
  const params = new URLSearchParams({ q: args.join(' '), limit: String(intArg(values.limit, '--limit', 20)) });
  if (values.provider) params.set('source', providerOf('', values.provider));
  const body = await client.call<CatalogSearchResponse>('GET', `/api/v1/models/catalog/search?${params}`);
  if (values.json) printJson(io, body);
  else if (body.models.length === 0) io.stdout(`Nothing in the catalog matches "${args.join(' ')}".\n`);
  else {
    io.stdout(
      table(
        ['NAME', 'PROVIDER', 'RUNTIME', 'SIZE', 'PARAMS', 'FIT'],
        body.models.map((m) => [m.model_name, m.provider, m.runtime, m.size_gb !== null ? `${m.size_gb.toFixed(1)} GB` : null, m.parameters_b ? `${m.parameters_b} B` : null, m.fit?.verdict.replace(/_/g, ' ')]),
      ),
    );
    if (body.total > body.models.length) io.stdout(`${body.models.length} of ${body.total}; --limit N shows more\n`);
  }
  return 0;
};

const COMMANDS: Record<string, Handler> = {
  status,
  list,
  ls: list,
  pull,
  install: pull,
  import: importModel,
  rm,
  remove: rm,
  activate,
  deactivate,
  start,
  stop,
  logs,
  ps,
  operations: ps,
  search,
  provider: ({ client, args, values, io }) => providerCommand({ client, args, values, stdout: io.stdout, readStdin: io.readStdin }),
  routes: ({ client, args, values, io }) => routesCommand({ client, args, values, stdout: io.stdout }),
  alias: ({ client, args, values, io }) => aliasCommand({ client, args, values, stdout: io.stdout }),
  export: ({ client, args, values, io }) => exportCommand({ client, args, values, stdout: io.stdout, stderr: io.stderr }),
};
