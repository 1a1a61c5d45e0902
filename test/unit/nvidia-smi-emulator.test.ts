// The fake nvidia-smi and lspci (test/fixtures, protocols.md §5) as real processes, and systeminformation's
// graphics() reading them from PATH the way it reads the real programs.
import { execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../fixtures/bin', import.meta.url));
const run = promisify(execFile);
const smi = (args: string[], env: Record<string, string> = {}) =>
  run(`${BIN}/nvidia-smi`, args, { env: { ...process.env, ...env } }).then(
    (r) => ({ code: 0, out: r.stdout }),
    (e: { code: number; stdout: string }) => ({ code: e.code, out: e.stdout }),
  );
const QUERY = '--query-gpu=index,uuid,name,memory.total,memory.used,memory.free,utilization.gpu,temperature.gpu,power.draw';

describe('fake nvidia-smi', () => {
  it('prints one CSV line per GPU, fields in the requested order, ", " separated, MiB ints, W with 2 decimals', async () => {
    const { code, out } = await smi([QUERY, '--format=csv,noheader,nounits'], { EMU_GPU_COUNT: '2', EMU_GPU_MODEL: 'NVIDIA H100 80GB HBM3' });
    expect(code).toBe(0);
    const lines = out.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^0, GPU-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}, NVIDIA H100 80GB HBM3, 81559, 1, 81558, 0, \d+, \d+\.\d\d$/);
    const reordered = await smi(['--query-gpu=power.draw,index', '--format=csv,noheader,nounits']);
    expect(reordered.out).toMatch(/^\d+\.\d\d, 0\n$/);
  });

  it('prints [N/A] / [Not Supported] for unsupported fields, and units + header without nounits/noheader', async () => {
    const na = await smi(['--query-gpu=index,power.draw,fan.speed', '--format=csv,noheader,nounits'], { EMU_GPU_NA_FIELDS: 'power.draw', EMU_GPU_NOT_SUPPORTED_FIELDS: 'fan.speed' });
    expect(na.out).toBe('0, [N/A], [Not Supported]\n');
    const full = await smi(['--query-gpu=index,memory.total,power.draw', '--format=csv']);
    expect(full.out).toMatch(/^index, memory.total \[MiB\], power.draw \[W\]\n0, 24564 MiB, \d+\.\d\d W\n$/);
  });

  it('lists compute processes from EMU_GPU_PROCS, and prints nothing when there are none', async () => {
    expect((await smi(['--query-compute-apps=pid,used_memory,gpu_uuid', '--format=csv,noheader,nounits'])).out).toBe('');
    const { out } = await smi(['--query-compute-apps=pid,used_memory,gpu_uuid', '--format=csv,noheader,nounits'], { EMU_GPU_PROCS: '{"4321":8000}' });
    expect(out).toMatch(/^4321, 8000, GPU-[0-9a-f-]+\n$/);
    const used = await smi(['--query-gpu=memory.used', '--format=csv,noheader,nounits'], { EMU_GPU_PROCS: '{"4321":8000}' });
    expect(used.out).toBe('8001\n');
  });

  it('-L lists GPUs; without a driver it prints the real failure and exits 9', async () => {
    expect((await smi(['-L'])).out).toMatch(/^GPU 0: NVIDIA GeForce RTX 4090 \(UUID: GPU-[0-9a-f-]+\)\n$/);
    const failed = await smi([QUERY, '--format=csv,noheader,nounits'], { EMU_NO_DRIVER: '1' });
    expect(failed.code).toBe(9);
    expect(failed.out).toMatch(/^NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver/);
  });

  it('loop mode prints a block every N ms until killed', async () => {
    const child = spawn(`${BIN}/nvidia-smi`, ['--query-gpu=index,utilization.gpu', '--format=csv,noheader,nounits', '-lms', '100'], { env: { ...process.env, EMU_GPU_COUNT: '2' } });
    let out = '';
    // Waits for three blocks however slowly they come (a loaded machine stretches the interval).
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.split('\n').filter(Boolean).length >= 6) resolve();
      });
    });
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    const lines = out.trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(6); // ≥ 3 blocks of 2 GPUs
    expect(lines.length % 2).toBe(0);
    expect(lines.filter((l) => l.startsWith('0, '))).toHaveLength(lines.length / 2);
  });
});

describe('systeminformation graphics() with the fake lspci + nvidia-smi on PATH', () => {
  it('merges the nvidia-smi rows into the lspci controller', async () => {
    const script = "require('systeminformation').graphics().then((g) => console.log(JSON.stringify(g.controllers)))";
    const { stdout } = await run(process.execPath, ['-e', script], { env: { ...process.env, PATH: `${BIN}:${process.env.PATH}`, EMU_GPU_PROCS: '{"1":2048}' }, timeout: 20_000 });
    const nvidia = (JSON.parse(stdout) as Record<string, unknown>[]).filter((c) => String(c.vendor).includes('NVIDIA'));
    expect(nvidia).toHaveLength(1);
    expect(nvidia[0]).toMatchObject({ busAddress: '01:00.0', model: 'AD102 [GeForce RTX 4090]', name: 'NVIDIA GeForce RTX 4090', memoryTotal: 24564, memoryUsed: 2049, driverVersion: '550.127.05' });
  });
});
