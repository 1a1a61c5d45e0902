import { StorageBanner } from '../components/StorageBanner';
import { useEffect, useMemo } from 'react';
import type { GpuProcess, UsageDay } from '../../../shared/api/system';
import { RemoteUsage } from '../components/RemoteUsage';
import { SlotsCard } from '../components/SlotsCard';
import { TimeChart } from '../components/TimeChart';
import { formatBytes, formatMs } from '../components/format';
import { useStore } from '../store';
import { runtimeLabel } from '../../../shared/runtimes';

const REFRESH_MS = 5_000;

const gib = (mib: number | null | undefined) => (mib === null || mib === undefined ? '—' : `${(mib / 1024).toFixed(1)} GiB`);
const num = (v: number | null | undefined, unit = '', digits = 0) => (v === null || v === undefined ? '—' : `${v.toFixed(digits)}${unit}`);
/** the usage API's `_gb` fields are GiB (2³⁰ bytes): shown as every other size, MiB when small */
const fromGib = (v: number) => formatBytes(Math.round(v * 1024 ** 3));

export function DashboardScreen() {
  const loadGpus = useStore((s) => s.loadGpus);
  const loadSystemUsage = useStore((s) => s.loadSystemUsage);
  const loadEndpointUsage = useStore((s) => s.loadEndpointUsage);

  useEffect(() => {
    void loadGpus().catch(() => {});
    const refresh = () => {
      void loadSystemUsage().catch(() => {});
      void loadEndpointUsage().catch(() => {});
    };
    refresh();
    const timer = setInterval(refresh, REFRESH_MS);
    return () => clearInterval(timer);
  }, [loadGpus, loadSystemUsage, loadEndpointUsage]);

  return (
    <section className="screen dashboard">
      <h1>Dashboard</h1>
      <StorageBanner />
      <GpuSection />
      <div className="dash-grid">
        <SlotsCard />
        <SystemCard />
        <EndpointCard />
      </div>
      <UsageTable />
      <RemoteUsage />
    </section>
  );
}

/** Re-renders with each GPU sample; nothing else on the screen does. */
function GpuSection() {
  const status = useStore((s) => s.gpuStatus);
  const count = useStore((s) => s.gpuHistory[s.gpuHistory.length - 1]?.gpus.length ?? 0);
  const controllers = useStore((s) => s.gpuControllers);
  if (!status) return <div className="card muted">Reading GPUs…</div>;
  if (!status.available) {
    return (
      <div className="card gpu-none" data-testid="gpu-none">
        <h2>No GPU detected</h2>
        <p className="muted">{status.reason ?? 'The GPU sampler is starting.'}</p>
        {controllers.length > 0 && (
          <p data-testid="gpu-controllers">
            Display controllers found:{' '}
            {controllers.map((c) => `${c.vendor} ${c.model}${c.vram_mib ? ` (${gib(c.vram_mib)})` : ''}`).join('; ')}
          </p>
        )}
        <p className="muted">Models can still run on the CPU with Ollama; vLLM needs an NVIDIA GPU.</p>
      </div>
    );
  }
  return (
    <>
      <div className="dash-grid">
        {Array.from({ length: count }, (_, i) => (
          <GpuCard key={i} index={i} />
        ))}
      </div>
      <VramHolders />
    </>
  );
}

function GpuCard({ index }: { index: number }) {
  const history = useStore((s) => s.gpuHistory);
  const latest = history[history.length - 1]?.gpus.find((g) => g.index === index);
  const { xs, used, util } = useMemo(() => {
    const xs: number[] = [];
    const used: (number | null)[] = [];
    const util: (number | null)[] = [];
    for (const sample of history) {
      const g = sample.gpus.find((x) => x.index === index);
      xs.push(sample.ts / 1000);
      used.push(g?.memory_used_mib !== null && g?.memory_used_mib !== undefined ? g.memory_used_mib / 1024 : null);
      util.push(g?.utilization_percent ?? null);
    }
    return { xs, used, util };
  }, [history, index]);
  const vramSeries = useMemo(() => [{ label: 'VRAM used', color: '#4ea1ff', values: used }], [used]);
  const utilSeries = useMemo(() => [{ label: 'Utilization', color: '#3fb950', values: util }], [util]);
  if (!latest) return null;
  const total = latest.memory_total_mib;
  const pct = total && latest.memory_used_mib !== null ? (latest.memory_used_mib / total) * 100 : null;
  return (
    <div className="card gpu-card" data-testid={`gpu-${index}`}>
      <header className="row">
        <h2>
          GPU {index} · {latest.name}
        </h2>
      </header>
      <dl className="facts gpu-facts">
        <dt>VRAM</dt>
        <dd data-testid={`gpu-${index}-vram`}>
          {gib(latest.memory_used_mib)} / {gib(total)} {pct !== null && <span className="muted">({pct.toFixed(0)} %)</span>}
        </dd>
        <dt>Utilization</dt>
        <dd>{num(latest.utilization_percent, ' %')}</dd>
        <dt>Temperature</dt>
        <dd>{num(latest.temperature_c, ' °C')}</dd>
        <dt>Power</dt>
        <dd>{num(latest.power_w, ' W', 1)}</dd>
      </dl>
      <div className="muted small">VRAM used (GiB), last 10 min</div>
      <TimeChart xs={xs} series={vramSeries} yRange={total ? [0, total / 1024] : undefined} testId={`gpu-${index}-vram-chart`} />
      <div className="muted small">Utilization (%)</div>
      <TimeChart xs={xs} series={utilSeries} yRange={[0, 100]} unit="%" />
    </div>
  );
}

function VramHolders() {
  const processes = useStore((s) => s.gpuProcesses);
  const rows = useMemo(() => groupHolders(processes), [processes]);
  return (
    <div className="card" data-testid="vram-holders">
      <h2>Who holds VRAM</h2>
      {rows.length === 0 ? (
        <p className="muted">No process holds GPU memory.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Runtime</th>
              <th>Model</th>
              <th>GPU</th>
              <th>Processes</th>
              <th>VRAM</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.key}>
                <td>{r.runtime ? runtimeLabel(r.runtime) : <span className="muted">other programs</span>}</td>
                <td className="mono">{r.model ?? '—'}</td>
                <td>{r.gpu ?? '—'}</td>
                <td className="mono">{r.pids.join(', ')}</td>
                <td>{gib(r.mib)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function groupHolders(processes: GpuProcess[]) {
  const groups = new Map<string, { key: string; runtime: string | null; model: string | null; gpu: number | null; pids: number[]; mib: number }>();
  for (const p of processes) {
    const key = `${p.runtime ?? ''}|${p.model ?? ''}|${p.gpu_index ?? ''}`;
    const g = groups.get(key) ?? { key, runtime: p.runtime, model: p.model, gpu: p.gpu_index, pids: [], mib: 0 };
    g.pids.push(p.pid);
    g.mib += p.used_mib ?? 0;
    groups.set(key, g);
  }
  return [...groups.values()].sort((a, b) => b.mib - a.mib);
}

function SystemCard() {
  const usage = useStore((s) => s.systemUsage);
  if (!usage) return <div className="card muted">Reading system usage…</div>;
  const disk = (name: string) => usage.disks.find((d) => d.name === name);
  return (
    <div className="card" data-testid="system-card">
      <h2>System</h2>
      <dl className="facts">
        <dt>CPU</dt>
        <dd>{num(usage.cpu_usage_percent, ' %', 1)}</dd>
        <dt>Memory</dt>
        <dd>
          {fromGib(usage.memory_used_gb)} / {fromGib(usage.memory_total_gb)} ({usage.memory_usage_percent.toFixed(0)} %)
        </dd>
        <dt>Models installed</dt>
        <dd data-testid="models-count">{usage.models_count}</dd>
        <dt>Disk used by models</dt>
        <dd>
          {fromGib(usage.disk_usage_gb)}
          {usage.disk_limit_gb !== null && ` of ${fromGib(usage.disk_limit_gb)}`}
          {usage.disk_usage_percent !== null && <span className="muted"> ({usage.disk_usage_percent.toFixed(1)} %)</span>}
        </dd>
        <dt>HF cache</dt>
        <dd>
          {formatBytes(disk('hf_cache')?.used_bytes)} <span className="muted mono">{disk('hf_cache')?.path}</span>
        </dd>
        <dt>Ollama models</dt>
        <dd>
          {formatBytes(disk('ollama_models')?.used_bytes)} <span className="muted mono">{disk('ollama_models')?.path}</span>
        </dd>
        <dt>Free on disk</dt>
        <dd>{formatBytes(disk('hf_cache')?.fs_available_bytes)}</dd>
      </dl>
    </div>
  );
}

function EndpointCard() {
  const stats = useStore((s) => s.endpointStats);
  return (
    <div className="card" data-testid="endpoint-card">
      <h2>OpenAI-compatible endpoint</h2>
      <p className="muted small mono">{window.location.origin}/v1 — send the Switchyard token as the API key</p>
      {!stats ? (
        <p className="muted">Reading…</p>
      ) : (
        <dl className="facts">
          <dt>Requests / min</dt>
          <dd data-testid="endpoint-rpm">{stats.requests_per_minute}</dd>
          <dt>In flight</dt>
          <dd>{stats.in_flight}</dd>
          <dt>Latency p50 / p95</dt>
          <dd>
            {formatMs(stats.latency_p50_ms)} / {formatMs(stats.latency_p95_ms)} <span className="muted">(last 5 min)</span>
          </dd>
          <dt>First token p50</dt>
          <dd>{formatMs(stats.ttft_p50_ms)}</dd>
          <dt>Since start</dt>
          <dd>
            {stats.total_requests} requests, {stats.total_errors} errors
          </dd>
        </dl>
      )}
    </div>
  );
}

function UsageTable() {
  const days = useStore((s) => s.usageDays);
  return (
    <div className="card" data-testid="usage-daily">
      <h2>Usage per route and day</h2>
      {days.length === 0 ? (
        <p className="muted">No requests through the endpoint in the last 7 days.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Day (UTC)</th>
              <th title="the model a request named, as the router resolved it: a local model, or provider/model">Route</th>
              <th>Requests</th>
              <th>Errors</th>
              <th>Tokens in / out</th>
              <th>Latency p50 / p95 / p99</th>
              <th>First token p50</th>
              <th title="a remote route's spend that day, at its provider's prices">Cost</th>
            </tr>
          </thead>
          <tbody>
            {days.map((d: UsageDay) => (
              <tr key={`${d.day}|${d.model}|${d.runtime}`}>
                <td>{d.day}</td>
                <td className="mono">
                  {d.model} <span className="muted">({runtimeLabel(d.runtime)})</span>
                </td>
                <td>{d.requests}</td>
                <td>{d.errors}</td>
                <td>
                  {d.prompt_tokens} / {d.completion_tokens}
                </td>
                <td>
                  {formatMs(d.latency_p50_ms)} / {formatMs(d.latency_p95_ms)} / {formatMs(d.latency_p99_ms)}
                </td>
                <td>{formatMs(d.ttft_p50_ms)}</td>
                <td>{d.cost_usd === null ? '—' : `$${d.cost_usd.toFixed(4)}`}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
