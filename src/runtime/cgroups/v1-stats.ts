// Reading cgroup v1 counters into CgroupStats. Missing files (an unmounted controller,
// an older kernel) leave fields at zero or undefined rather than failing `stats`.

import { parseBlkioV1, parseFlatKeyed, parseLimit, parseNum } from './convert.js';
import type { CgroupStats } from './driver.js';
import type { CgroupDir } from './fs.js';

/** cpuacct.stat counts USER_HZ ticks, fixed at 100 per second in the kernel ABI. */
const NS_PER_USER_HZ_TICK = 10_000_000;

export function statsV1(dir: (controller: string) => CgroupDir | undefined): CgroupStats {
  const opt = (controller: string, file: string): string | undefined => {
    const d = dir(controller);
    return d === undefined ? undefined : d.readOptional(file);
  };

  const cpuacct = parseFlatKeyed(opt('cpuacct', 'cpuacct.stat'));
  const usageUser = opt('cpuacct', 'cpuacct.usage_user');
  const usageSys = opt('cpuacct', 'cpuacct.usage_sys');
  const perCpu = opt('cpuacct', 'cpuacct.usage_percpu');
  const cpuStat = parseFlatKeyed(opt('cpu', 'cpu.stat'));

  const memStat = parseFlatKeyed(opt('memory', 'memory.stat'));
  const usage = parseNum(opt('memory', 'memory.usage_in_bytes'));
  const limit = parseLimit(opt('memory', 'memory.limit_in_bytes'));
  const memswUsage = opt('memory', 'memory.memsw.usage_in_bytes');
  const memswLimit = parseLimit(opt('memory', 'memory.memsw.limit_in_bytes'));

  const maxUsage = opt('memory', 'memory.max_usage_in_bytes');
  const blkioBytes = opt('blkio', 'blkio.throttle.io_service_bytes_recursive') ?? opt('blkio', 'blkio.throttle.io_service_bytes');
  const blkioOps = opt('blkio', 'blkio.throttle.io_serviced_recursive') ?? opt('blkio', 'blkio.throttle.io_serviced');

  const hugetlb: CgroupStats['hugetlb'] = {};
  const h = dir('hugetlb');
  if (h !== undefined && h.fs.exists(h.dir)) {
    for (const f of h.fs.listFiles(h.dir)) {
      const m = /^hugetlb\.([^.]+)\.limit_in_bytes$/.exec(f);
      if (m === null) continue;
      const size = m[1]!;
      hugetlb[size] = {
        usage: parseNum(h.readOptional(`hugetlb.${size}.usage_in_bytes`)),
        maxUsage: parseNum(h.readOptional(`hugetlb.${size}.max_usage_in_bytes`)),
        failcnt: parseNum(h.readOptional(`hugetlb.${size}.failcnt`)),
      };
    }
  }

  return {
    cpu: {
      usageTotal: parseNum(opt('cpuacct', 'cpuacct.usage')),
      ...(perCpu !== undefined ? { usagePerCpu: perCpu.split(/\s+/).filter((s) => s !== '').map(Number) } : {}),
      usageUser: usageUser !== undefined ? parseNum(usageUser) : (cpuacct['user'] ?? 0) * NS_PER_USER_HZ_TICK,
      usageSystem: usageSys !== undefined ? parseNum(usageSys) : (cpuacct['system'] ?? 0) * NS_PER_USER_HZ_TICK,
      throttling: {
        periods: cpuStat['nr_periods'] ?? 0,
        throttledPeriods: cpuStat['nr_throttled'] ?? 0,
        throttledTime: cpuStat['throttled_time'] ?? 0,
      },
    },
    memory: {
      usage,
      ...(maxUsage !== undefined ? { maxUsage: parseNum(maxUsage) } : {}),
      ...(limit !== undefined ? { limit } : {}),
      // total_* include nested cgroups, which a container may create.
      cache: memStat['total_cache'] ?? memStat['cache'] ?? 0,
      rss: memStat['total_rss'] ?? memStat['rss'] ?? 0,
      ...(memswUsage !== undefined ? { swapUsage: Math.max(0, parseNum(memswUsage) - usage) } : {}),
      ...(memswLimit !== undefined && limit !== undefined ? { swapLimit: Math.max(0, memswLimit - limit) } : {}),
      stat: memStat,
    },
    pids: {
      current: parseNum(opt('pids', 'pids.current')),
      ...(parseLimit(opt('pids', 'pids.max')) !== undefined ? { limit: parseLimit(opt('pids', 'pids.max'))! } : {}),
    },
    blkio: { ioServiceBytes: parseBlkioV1(blkioBytes), ioServiced: parseBlkioV1(blkioOps) },
    hugetlb,
  };
}
