// Reading cgroup v2 counters into CgroupStats (the same shape v1 produces).

import { parseFlatKeyed, parseIoStatV2, parseLimit, parseNum } from './convert.js';
import type { CgroupStats } from './driver.js';
import type { CgroupDir } from './fs.js';

export function statsV2(d: CgroupDir): CgroupStats {
  const cpu = parseFlatKeyed(d.readOptional('cpu.stat'));
  const mem = parseFlatKeyed(d.readOptional('memory.stat'));
  const peak = d.readOptional('memory.peak');
  const limit = parseLimit(d.readOptional('memory.max'));
  const swapCur = d.readOptional('memory.swap.current');
  const swapMax = parseLimit(d.readOptional('memory.swap.max'));
  const pidsMax = parseLimit(d.readOptional('pids.max'));
  const io = parseIoStatV2(d.readOptional('io.stat'));

  const hugetlb: CgroupStats['hugetlb'] = {};
  if (d.fs.exists(d.dir)) {
    for (const f of d.fs.listFiles(d.dir)) {
      const m = /^hugetlb\.([^.]+)\.max$/.exec(f);
      if (m === null) continue;
      const size = m[1]!;
      hugetlb[size] = {
        usage: parseNum(d.readOptional(`hugetlb.${size}.current`)),
        failcnt: parseFlatKeyed(d.readOptional(`hugetlb.${size}.events`))['max'] ?? 0,
      };
    }
  }

  return {
    cpu: {
      usageTotal: (cpu['usage_usec'] ?? 0) * 1000,
      usageUser: (cpu['user_usec'] ?? 0) * 1000,
      usageSystem: (cpu['system_usec'] ?? 0) * 1000,
      throttling: {
        periods: cpu['nr_periods'] ?? 0,
        throttledPeriods: cpu['nr_throttled'] ?? 0,
        throttledTime: (cpu['throttled_usec'] ?? 0) * 1000,
      },
    },
    memory: {
      usage: parseNum(d.readOptional('memory.current')),
      ...(peak !== undefined ? { maxUsage: parseNum(peak) } : {}),
      ...(limit !== undefined ? { limit } : {}),
      cache: mem['file'] ?? 0,
      rss: mem['anon'] ?? 0,
      ...(swapCur !== undefined ? { swapUsage: parseNum(swapCur) } : {}),
      ...(swapMax !== undefined ? { swapLimit: swapMax } : {}),
      stat: mem,
    },
    pids: { current: parseNum(d.readOptional('pids.current')), ...(pidsMax !== undefined ? { limit: pidsMax } : {}) },
    blkio: { ioServiceBytes: io.bytes, ioServiced: io.ios },
    hugetlb,
  };
}
