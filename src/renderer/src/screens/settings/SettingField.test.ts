import { describe, expect, it } from 'vitest';
import { humanValue } from './SettingField';

describe('settings stored in ms and bytes', () => {
  it('read as durations and binary sizes', () => {
    expect(humanValue('idleUnloadMs', 900000)).toBe('15 min');
    expect(humanValue('healthIntervalMs', 250)).toBe('250 ms');
    expect(humanValue('maxLogBytes', 67108864)).toBe('64 MiB');
    expect(humanValue('proxyHeadersTimeoutMs', 90500)).toBe('1 min 31 s');
    expect(humanValue('port', 8080)).toBeNull();
    expect(humanValue('idleUnloadMs', null)).toBeNull();
  });
});
