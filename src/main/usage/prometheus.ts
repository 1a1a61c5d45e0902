import type { RuntimeInfo } from '../../shared/api/runtimes';
import type { Route } from '../../shared/api/router';
import { RuntimeState } from '../../shared/api/runtimes';
import type { GpuSampleEvent } from '../../shared/api/system';
import { PROM_BUCKETS, type PromHistogram, type UsageRecorder } from './usage-recorder';
import { isUp } from '../../shared/runtimes';

/** Prometheus text exposition format 0.0.4. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

// the exposition format escapes only \\, " and line feeds; any other control character (a raw \r splits the
// line for some parsers) is dropped from a label value
const escape = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/[\u0000-\u0009\u000b-\u001f\u007f]/g, '');
const labels = (l: Record<string, string | number>) =>
  `{${Object.entries(l)
    .map(([k, v]) => `${k}="${escape(String(v))}"`)
    .join(',')}}`;

class Exposition {
  private readonly lines: string[] = [];

  metric(name: string, type: 'counter' | 'gauge' | 'histogram', help: string, rows: [Record<string, string | number>, number][]): void {
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [l, v] of rows) this.lines.push(`${name}${Object.keys(l).length ? labels(l) : ''} ${formatValue(v)}`);
  }

  histogram(name: string, help: string, rows: PromHistogram[]): void {
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} histogram`);
    for (const h of rows) {
      const base = { model: h.model, runtime: h.runtime };
      PROM_BUCKETS.forEach((le, i) => this.lines.push(`${name}_bucket${labels({ ...base, le: String(le) })} ${h.buckets[i]}`));
      this.lines.push(`${name}_bucket${labels({ ...base, le: '+Inf' })} ${h.count}`);
      this.lines.push(`${name}_sum${labels(base)} ${formatValue(h.sum)}`);
      this.lines.push(`${name}_count${labels(base)} ${h.count}`);
    }
  }

  toString(): string {
    return this.lines.join('\n') + '\n';
  }
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** Switchyard's own metrics: endpoint traffic, runtime states and GPU gauges. */
export function renderMetrics(input: { usage: UsageRecorder; runtimes: RuntimeInfo[]; gpu: GpuSampleEvent; routes?: Route[] }): string {
  const out = new Exposition();
  const { usage, runtimes, gpu } = input;
  if (input.routes) {
    out.metric(
      'switchyard_route_up',
      'gauge',
      'Whether a route answers now (1: serving; 0: down, disabled, stale, offline or not loaded).',
      input.routes.map((r) => [{ model: r.model, provider: r.target.provider }, r.state === 'serving' ? 1 : 0]),
    );
  }

  out.metric(
    'switchyard_openai_requests_total',
    'counter',
    'Requests to the OpenAI-compatible endpoint by model, runtime, endpoint and HTTP status (499: client went away).',
    usage.promCounters().map((c) => [{ model: c.model, runtime: c.runtime, endpoint: c.endpoint, status: c.status }, c.count]),
  );
  out.metric('switchyard_openai_requests_in_flight', 'gauge', 'Requests being proxied right now.', [[{}, usage.inFlightCount]]);
  const lifetime = usage.promLifetime();
  out.metric('switchyard_openai_prompt_tokens_total', 'counter', 'Prompt tokens reported by the runtimes.', lifetime.map((l) => [{ model: l.model, runtime: l.runtime }, l.promptTokens]));
  out.metric('switchyard_openai_completion_tokens_total', 'counter', 'Completion tokens reported by the runtimes.', lifetime.map((l) => [{ model: l.model, runtime: l.runtime }, l.completionTokens]));
  out.histogram('switchyard_openai_request_duration_seconds', 'End-to-end duration of successful requests through the proxy.', lifetime.map((l) => l.latency));
  out.histogram('switchyard_openai_time_to_first_token_seconds', 'Time to the first streamed chunk of successful streaming requests.', lifetime.map((l) => l.ttft));

  out.metric('switchyard_runtime_up', 'gauge', '1 when the runtime answers on its API (ready or external).', runtimes.map((r) => [{ runtime: r.name }, isUp(r.state) ? 1 : 0]));
  out.metric('switchyard_runtime_active', 'gauge', '1 for the runtime the OpenAI-compatible endpoint routes to.', runtimes.map((r) => [{ runtime: r.name, model: r.model ?? '' }, r.active ? 1 : 0]));
  out.metric(
    'switchyard_runtime_state',
    'gauge',
    'Runtime state (one series per possible state, 1 for the current one).',
    runtimes.flatMap((r) => RuntimeState.options.map((s): [Record<string, string>, number] => [{ runtime: r.name, state: s }, r.state === s ? 1 : 0])),
  );
  out.metric('switchyard_runtime_restarts_total', 'counter', 'Automatic restarts of a crashed runtime.', runtimes.map((r) => [{ runtime: r.name }, r.restarts]));

  out.metric('switchyard_gpu_available', 'gauge', '1 when an NVIDIA GPU is being sampled.', [[{}, gpu.status.available ? 1 : 0]]);
  const gpus = gpu.sample?.gpus ?? [];
  const gpuRows = (pick: (g: (typeof gpus)[number]) => number | null, scale = 1) =>
    gpus.flatMap((g): [Record<string, string | number>, number][] => {
      const v = pick(g);
      return v === null ? [] : [[{ gpu: g.index, uuid: g.uuid, name: g.name }, v * scale]];
    });
  const MiB = 1024 * 1024;
  out.metric('switchyard_gpu_memory_total_bytes', 'gauge', 'GPU memory size.', gpuRows((g) => g.memory_total_mib, MiB));
  out.metric('switchyard_gpu_memory_used_bytes', 'gauge', 'GPU memory in use.', gpuRows((g) => g.memory_used_mib, MiB));
  out.metric('switchyard_gpu_utilization_ratio', 'gauge', 'GPU utilization (0-1).', gpuRows((g) => g.utilization_percent, 0.01));
  out.metric('switchyard_gpu_temperature_celsius', 'gauge', 'GPU temperature.', gpuRows((g) => g.temperature_c));
  out.metric('switchyard_gpu_power_watts', 'gauge', 'GPU power draw.', gpuRows((g) => g.power_w));
  out.metric(
    'switchyard_gpu_process_memory_used_bytes',
    'gauge',
    'GPU memory held per process, attributed to the runtime that owns it (runtime="" when not Switchyard\'s).',
    gpu.processes.map((p) => [{ pid: p.pid, gpu: p.gpu_index ?? '', runtime: p.runtime ?? '', model: p.model ?? '' }, (p.used_mib ?? 0) * MiB]),
  );
  return out.toString();
}
