import { z } from 'zod';
import { okShape } from './common';
import { Slot } from './router';

/**
 * A local runtime's id (`ollama`, `vllm`, whatever a driver registers): a short lowercase name, not a
 * closed list. Which ids exist is the driver registry's to say — a route checks the id it is given
 * against it (`runtime_not_found` naming the known ones), so a new driver needs no change here.
 */
export const RuntimeName = z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/, 'a runtime id: lowercase letters, digits, - or _, starting with a letter');
export type RuntimeName = z.infer<typeof RuntimeName>;

export const RuntimeState = z.enum(['not_installed', 'stopped', 'starting', 'ready', 'unresponsive', 'stopping', 'crashed', 'external']);
export type RuntimeState = z.infer<typeof RuntimeState>;

export const RuntimeErrorInfo = z.object({
  code: z.string(),
  message: z.string(),
  exit_code: z.number().nullable().optional(),
  signal: z.string().nullable().optional(),
  log_tail: z.array(z.string()).optional(),
  at: z.string(),
});
export type RuntimeErrorInfo = z.infer<typeof RuntimeErrorInfo>;

export const RuntimeInfo = z.object({
  name: RuntimeName,
  state: RuntimeState,
  active: z.boolean(),
  owned: z.boolean(),
  pid: z.number().nullable(),
  host: z.string(),
  port: z.number(),
  base_url: z.string(),
  version: z.string().nullable(),
  binary: z.string().nullable(),
  model: z.string().nullable(),
  last_model: z.string().nullable(),
  started_at: z.string().nullable(),
  restarts: z.number(),
  last_error: RuntimeErrorInfo.nullable(),
});
export type RuntimeInfo = z.infer<typeof RuntimeInfo>;

export const LogLine = z.object({
  runtime: RuntimeName,
  pid: z.number().nullable(),
  ts: z.string(),
  line: z.string(),
});
export type LogLine = z.infer<typeof LogLine>;

export const RuntimesResponse = okShape({ servers: z.array(RuntimeInfo) });
export const RuntimeResponse = okShape({ server: RuntimeInfo });
/** The endpoint OpenAI requests go to (never its headers: they hold keys). */
export const ServingEndpointInfo = z.object({
  kind: z.enum(['local', 'remote']),
  provider: z.string(),
  runtime: z.string(),
  model: z.string().nullable(),
  api_base: z.string(),
  transport: z.enum(['loopback', 'net']),
});
export type ServingEndpointInfo = z.infer<typeof ServingEndpointInfo>;
export const EndpointPhase = z.enum(['serving', 'starting', 'unresponsive', 'down']);

export const ActiveRuntimeResponse = okShape({
  /** a local runtime's name, or a process-less endpoint's runtime ('remote') while one serves */
  active_server: z.string().nullable(),
  active_model: z.string().nullable(),
  server: RuntimeInfo.nullable(),
  last_models: z.record(z.string(), z.string().nullable()),
  endpoint: ServingEndpointInfo.nullable(),
  phase: EndpointPhase.nullable(),
});

/** `/api/v1/system/llm-runtime/active`: activation by provider and model (remote models are not installed rows). */
export const ActiveEndpointBody = z.object({
  provider: z.string().min(1).max(100),
  model: z.string().min(1).max(300),
});
/**
 * Why the remote default the user chose (stored) is not the default now: its provider is gone
 * (`provider_not_found`), disabled (`model_disabled`), changed since its last validation
 * (`validation_stale`), never or not successfully validated (`model_not_validated`), no longer lists the
 * model (`model_not_found`), or the check failed otherwise (`failed`). It comes back by itself once
 * that is fixed; until then the chat slot is the default.
 */
export const DefaultNotServedReason = z.enum(['provider_not_found', 'model_disabled', 'validation_stale', 'model_not_validated', 'model_not_found', 'failed']);
export type DefaultNotServedReason = z.infer<typeof DefaultNotServedReason>;
/** The remote default as the user chose it, and whether it is the default now (`in_effect`), else why not. */
export const SavedDefault = z.object({
  provider: z.string(),
  model: z.string(),
  in_effect: z.boolean(),
  reason: DefaultNotServedReason.nullable(),
  message: z.string().nullable(),
});
export type SavedDefault = z.infer<typeof SavedDefault>;
/** What is the default route now (the fields above `saved_default`), and the stored choice (null: none, the chat slot is the default). */
export const ActiveEndpointResponse = okShape({
  kind: z.enum(['local', 'remote']).nullable(),
  provider: z.string().nullable(),
  runtime: z.string().nullable(),
  model: z.string().nullable(),
  phase: EndpointPhase.nullable(),
  endpoint: ServingEndpointInfo.nullable(),
  saved_default: SavedDefault.nullable(),
});
export const SetActiveBody = z.object({
  server_name: RuntimeName,
  model_name: z.string().min(1).max(300).optional(),
});
export const StartBody = z.object({ model_name: z.string().min(1).max(300).optional() }).nullish();
export const LogsQuery = z.object({ tail: z.coerce.number().int().min(1).max(5000).default(200) });
export const LogsResponse = okShape({ runtime: RuntimeName, lines: z.array(LogLine) });

/**
 * What a driver can do — the driver registry as data. Clients decide by these, never by a runtime's
 * name: `requires_model` (it cannot start without a model: a switch takes its last one), `slots` (the
 * local slots it can serve), `launch_flags` (it takes the flag table's launch flags), `models`
 * (`manifest`: installed here; `provider`: the provider lists them).
 */
/** How Settings shows one field of a runtime's group: its label, a hint, the env var that wins over it. */
export const SettingsFieldText = z.object({ label: z.string(), hint: z.string().nullable(), env: z.string().nullable() });
export type SettingsFieldText = z.infer<typeof SettingsFieldText>;

/**
 * A local runtime's Settings group as its driver describes it: where its values are (`path`: a group
 * of its own such as `vllm`, or `runtimes.<id>` in the common shape), its title and what it is for,
 * and its fields' texts. The Settings screen renders one section per entry, naming no runtime.
 */
export const DriverSettings = z.object({
  path: z.string(),
  title: z.string(),
  about: z.string().nullable(),
  fields: z.record(z.string(), SettingsFieldText),
});
export type DriverSettings = z.infer<typeof DriverSettings>;

export const DriverInfo = z.object({
  provider: z.string(),
  runtime: z.string(),
  label: z.string(),
  kind: z.enum(['local', 'remote']),
  /** the local runtime it serves through (a `llm-servers` name), or null (process-less) */
  local_runtime: z.string().nullable(),
  models: z.enum(['manifest', 'provider']),
  requires_model: z.boolean(),
  launch_flags: z.boolean(),
  requires_network: z.boolean(),
  slots: z.array(Slot),
  /** its runtime's Settings group; null for a process-less driver */
  settings: DriverSettings.nullable(),
});
export type DriverInfo = z.infer<typeof DriverInfo>;

/**
 * How a model is started by hand on its runtime, spelled as the supervisor starts it: one or more
 * commands, each a list of lines (the program and its operands first, then one option a line).
 */
export const LaunchPreview = z.object({
  runtime: z.string(),
  /** the driver's label ("vLLM") */
  label: z.string(),
  commands: z.array(z.array(z.string()).min(1)),
});
export type LaunchPreview = z.infer<typeof LaunchPreview>;
export const DriversResponse = okShape({ drivers: z.array(DriverInfo) });
