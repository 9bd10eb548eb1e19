// `events --stats` prints runc's stats shape (libcontainer's events types), since containerd's
// shim and other tools parse it; berth's CgroupStats are mapped onto it here.
import type { CgroupStats } from '../cgroups/index.js';

const U64_MAX_SAFE = Number.MAX_SAFE_INTEGER;

export function toRuncStats(s: CgroupStats): Record<string, unknown> {
  const blk = (entries: CgroupStats['blkio']['ioServiceBytes']) =>
    entries.map((e) => ({ major: e.major, minor: e.minor, op: e.op, value: e.value }));
  const hugetlb: Record<string, unknown> = {};
  for (const [size, h] of Object.entries(s.hugetlb)) hugetlb[size] = { usage: h.usage, max: h.maxUsage ?? 0, failcnt: h.failcnt };
  return {
    cpu: {
      usage: {
        total: s.cpu.usageTotal,
        percpu: s.cpu.usagePerCpu ?? [],
        kernel: s.cpu.usageSystem,
        user: s.cpu.usageUser,
      },
      throttling: {
        periods: s.cpu.throttling.periods,
        throttled_periods: s.cpu.throttling.throttledPeriods,
        throttled_time: s.cpu.throttling.throttledTime,
      },
    },
    memory: {
      cache: s.memory.cache ?? 0,
      usage: { limit: s.memory.limit ?? U64_MAX_SAFE, usage: s.memory.usage, max: s.memory.maxUsage ?? 0, failcnt: 0 },
      swap_usage: { limit: s.memory.swapLimit ?? U64_MAX_SAFE, usage: s.memory.swapUsage ?? 0 },
      raw: s.memory.stat,
    },
    pids: { current: s.pids.current, limit: s.pids.limit ?? 0 },
    blkio: {
      ioServiceBytesRecursive: blk(s.blkio.ioServiceBytes),
      ioServicedRecursive: blk(s.blkio.ioServiced),
    },
    hugetlb,
  };
}
