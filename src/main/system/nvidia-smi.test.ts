import { describe, expect, it } from 'vitest';
import { noGpuReason, parseComputeApps, parseGpuLine, parseSmiNumber } from './nvidia-smi';

describe('parseSmiNumber', () => {
  it('reads numbers and every "not available" spelling as null', () => {
    expect(parseSmiNumber('24564')).toBe(24564);
    expect(parseSmiNumber(' 512.34')).toBe(512.34);
    expect(parseSmiNumber('97 %')).toBe(97);
    expect(parseSmiNumber('24564 MiB')).toBe(24564);
    for (const na of ['[N/A]', ' [Not Supported]', 'N/A', '', '[Unknown Error]', '[Insufficient Permissions]', 'abc', undefined]) expect(parseSmiNumber(na)).toBeNull();
  });
});

describe('parseGpuLine (index,uuid,name,memory.total,memory.used,memory.free,utilization.gpu,temperature.gpu,power.draw)', () => {
  it('parses the protocols.md §5.1 example line', () => {
    expect(parseGpuLine('0, GPU-e18afb8d-1627-f8ff-2ba3-c05c5a8e9e67, NVIDIA H100 80GB HBM3, 81559, 70321, 10745, 97, 63, 512.34')).toEqual({
      index: 0,
      uuid: 'GPU-e18afb8d-1627-f8ff-2ba3-c05c5a8e9e67',
      name: 'NVIDIA H100 80GB HBM3',
      memory_total_mib: 81559,
      memory_used_mib: 70321,
      memory_free_mib: 10745,
      utilization_percent: 97,
      temperature_c: 63,
      power_w: 512.34,
    });
  });

  it('maps [N/A], [Not Supported] and bare N/A to null (captured older-driver and laptop rows)', () => {
    const row = parseGpuLine('1, GPU-22b2c6ac-2d49-4863-197c-9c469071178a, GeForce GTX 770, 2004, 0, 2004, [Not Supported], 44, [N/A]');
    expect(row).toMatchObject({ index: 1, name: 'GeForce GTX 770', memory_used_mib: 0, utilization_percent: null, temperature_c: 44, power_w: null });
    expect(parseGpuLine('0, GPU-1, Quadro, 8192, N/A, N/A, N/A, N/A, N/A')).toMatchObject({ memory_total_mib: 8192, memory_used_mib: null, power_w: null });
  });

  it('tolerates units left in place and a comma inside the product name', () => {
    expect(parseGpuLine('0, GPU-1, NVIDIA RTX A6000, Ada, 49140 MiB, 100 MiB, 49040 MiB, 3 %, 30, 21.50 W')).toMatchObject({
      name: 'NVIDIA RTX A6000, Ada',
      memory_total_mib: 49140,
      utilization_percent: 3,
      power_w: 21.5,
    });
  });

  it('rejects lines that are not GPU rows', () => {
    expect(parseGpuLine("NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.")).toBeNull();
    expect(parseGpuLine('index, uuid, name, memory.total [MiB], memory.used [MiB], memory.free [MiB], utilization.gpu [%], temperature.gpu, power.draw [W]')).toBeNull();
    expect(parseGpuLine('')).toBeNull();
  });
});

describe('parseComputeApps', () => {
  it('reads pid, MiB and GPU uuid; empty output means no processes', () => {
    expect(parseComputeApps('')).toEqual([]);
    expect(parseComputeApps('2223047, 256, GPU-e18afb8d-1627-f8ff-2ba3-c05c5a8e9e67\n4242, [N/A], GPU-x\n')).toEqual([
      { pid: 2223047, used_mib: 256, gpu_uuid: 'GPU-e18afb8d-1627-f8ff-2ba3-c05c5a8e9e67' },
      { pid: 4242, used_mib: null, gpu_uuid: 'GPU-x' },
    ]);
    expect(parseComputeApps('2223047, 256 MiB, GPU-a')).toEqual([{ pid: 2223047, used_mib: 256, gpu_uuid: 'GPU-a' }]);
  });
});

describe('noGpuReason', () => {
  it('recognises the missing-driver failure and "no devices"', () => {
    expect(noGpuReason("NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.\n", 9)).toMatch(/No NVIDIA GPU detected.*driver/);
    expect(noGpuReason('No devices were found', 6)).toMatch(/found no devices/);
    expect(noGpuReason('segfault', 139)).toBeNull();
  });
});
