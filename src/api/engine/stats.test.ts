import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { systemCpuNs, toDockerStats, type Sample } from './stats.js';

describe('runtime stats → docker stats JSON', () => {
  const meta = { id: 'c1', name: 'web', online: 4, hostMem: 8 << 30 };
  const sample = (cpu: number, sys: number): Sample => ({
    read: new Date(1_700_000_000_000 + sys / 1e6), systemNs: sys,
    data: {
      cpu: { usage: { total: cpu, kernel: 10, user: 20, percpu: [cpu] }, throttling: { periods: 1, throttled_periods: 0, throttled_time: 0 } },
      memory: { usage: { usage: 1 << 20, limit: 2 ** 63 }, raw: { inactive_file: 4096 } },
      pids: { current: 3 },
      blkio: { ioServiceBytesRecursive: [{ major: 8, minor: 0, op: 'Read', value: 512 }] },
    },
  });

  it('cpu, precpu, memory (no limit → host memory), pids and blkio', () => {
    const s = toDockerStats(sample(3e9, 20e9), sample(1e9, 10e9), meta);
    assert.equal(s.name, '/web');
    assert.equal(s.cpu_stats.cpu_usage.total_usage, 3e9);
    assert.equal(s.precpu_stats.cpu_usage.total_usage, 1e9);
    assert.equal(s.cpu_stats.system_cpu_usage, 20e9);
    assert.equal(s.cpu_stats.online_cpus, 4);
    // What the CLI computes: (Δcpu / Δsystem) × cpus × 100.
    const pct = ((s.cpu_stats.cpu_usage.total_usage - s.precpu_stats.cpu_usage.total_usage) / (s.cpu_stats.system_cpu_usage! - s.precpu_stats.system_cpu_usage!)) * 4 * 100;
    assert.equal(pct, 80);
    assert.deepEqual(s.memory_stats, { usage: 1 << 20, limit: 8 << 30, stats: { inactive_file: 4096 } });
    assert.deepEqual(s.pids_stats, { current: 3 });
    assert.deepEqual(s.blkio_stats.io_service_bytes_recursive, [{ major: 8, minor: 0, op: 'Read', value: 512 }]);
  });

  it('a first sample has an empty precpu', () => {
    const s = toDockerStats(sample(1, 2), undefined, meta);
    assert.equal(s.precpu_stats.cpu_usage.total_usage, 0);
    assert.equal(s.preread, '0001-01-01T00:00:00Z');
  });

  it('system cpu from /proc/stat ticks', () => {
    assert.equal(systemCpuNs('cpu  100 0 50 850 0 0 0 0 0 0\ncpu0 1 2 3\n'), 1000 * 1e7);
  });
});
