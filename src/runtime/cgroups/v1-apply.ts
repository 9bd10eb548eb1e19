// Writing LinuxResources into cgroup v1 files. Each controller has its own
// function; the manager decides where the directories are.

import { BerthError } from '../../errors.js';
import { devNum, hasAny, pidsMax } from './convert.js';
import type { CgroupDir, WarningSink } from './fs.js';
import type { LinuxBlockIO, LinuxCPU, LinuxDeviceCgroup, LinuxMemory, LinuxResources } from './resources.js';

export interface V1ApplyContext {
  /** The container's directory in a controller's hierarchy, or undefined if not mounted. */
  dir(controller: string): CgroupDir | undefined;
  warn: WarningSink;
}

function need(ctx: V1ApplyContext, controller: string, what: string): CgroupDir {
  const d = ctx.dir(controller);
  if (d === undefined) throw new BerthError('BERTH_EUNSUPPORTED', `cgroup ${controller}: controller not mounted, cannot apply ${what}`);
  return d;
}

/** Fails before anything is written when the request cannot be met on v1 at all. */
export function checkV1(r: LinuxResources): void {
  const key = Object.keys(r.unified ?? {})[0];
  if (key !== undefined) {
    throw new BerthError('BERTH_EUNSUPPORTED', `cgroup: unified resource ${JSON.stringify(key)} needs cgroup v2, but this host's controllers are on cgroup v1`);
  }
}

export function applyV1(ctx: V1ApplyContext, r: LinuxResources): void {
  checkV1(r);
  if (r.cpu?.cpus || r.cpu?.mems) applyCpuset(need(ctx, 'cpuset', 'cpu.cpus/mems'), r.cpu);
  if (r.devices !== undefined) applyDevices(need(ctx, 'devices', 'devices'), r.devices);
  if (hasAny(r.memory)) applyMemory(need(ctx, 'memory', 'memory'), r.memory!, ctx.warn);
  if (hasAny({ ...r.cpu, cpus: undefined, mems: undefined })) applyCpu(need(ctx, 'cpu', 'cpu'), r.cpu!, ctx.warn);
  if (r.pids?.limit !== undefined) need(ctx, 'pids', 'pids.limit').write('pids.max', pidsMax(r.pids.limit));
  if (hasAny(r.blockIO)) applyBlkio(need(ctx, 'blkio', 'blockIO'), r.blockIO!, ctx.warn);
  if (r.hugepageLimits !== undefined && r.hugepageLimits.length > 0) {
    const d = ctx.dir('hugetlb');
    if (d === undefined) ctx.warn('hugepageLimits ignored: the hugetlb controller is not mounted');
    else for (const h of r.hugepageLimits) d.write(`hugetlb.${h.pageSize}.limit_in_bytes`, h.limit);
  }
  if (r.network?.classID !== undefined) {
    const d = ctx.dir('net_cls');
    if (d === undefined) ctx.warn('network.classID ignored: the net_cls controller is not mounted');
    else d.write('net_cls.classid', r.network.classID);
  }
  if (r.network?.priorities !== undefined && r.network.priorities.length > 0) {
    const d = ctx.dir('net_prio');
    if (d === undefined) ctx.warn('network.priorities ignored: the net_prio controller is not mounted');
    else for (const p of r.network.priorities) d.write('net_prio.ifpriomap', `${p.name} ${p.priority}`);
  }
  if (r.rdma !== undefined && Object.keys(r.rdma).length > 0) {
    const d = ctx.dir('rdma');
    if (d === undefined) ctx.warn('rdma limits ignored: the rdma controller is not mounted');
    else for (const line of rdmaLines(r.rdma)) d.write('rdma.max', line);
  }
}

export function rdmaLines(rdma: NonNullable<LinuxResources['rdma']>): string[] {
  const out: string[] = [];
  for (const [dev, l] of Object.entries(rdma)) {
    const parts = [dev];
    if (l.hcaHandles !== undefined) parts.push(`hca_handle=${l.hcaHandles}`);
    if (l.hcaObjects !== undefined) parts.push(`hca_object=${l.hcaObjects}`);
    if (parts.length > 1) out.push(parts.join(' '));
  }
  return out;
}

function applyCpuset(d: CgroupDir, cpu: LinuxCPU): void {
  if (cpu.cpus) d.write('cpuset.cpus', cpu.cpus);
  if (cpu.mems) d.write('cpuset.mems', cpu.mems);
}

/** "c 1:3 rwm" — the format devices.allow and devices.deny parse. */
export function deviceRule(d: LinuxDeviceCgroup): string {
  return `${d.type ?? 'a'} ${devNum(d.major)}:${devNum(d.minor)} ${d.access || 'rwm'}`;
}

/**
 * Like runc: deny everything, then replay the rules in order. A later rule overrides
 * an earlier one, which is how the OCI list is meant to be read.
 */
function applyDevices(d: CgroupDir, rules: LinuxDeviceCgroup[]): void {
  d.write('devices.deny', 'a');
  for (const rule of rules) d.write(rule.allow ? 'devices.allow' : 'devices.deny', deviceRule(rule));
}

function applyMemory(d: CgroupDir, m: LinuxMemory, warn: WarningSink): void {
  const limit = m.limit !== undefined && m.limit !== 0 ? m.limit : undefined;
  let swap = m.swap !== undefined && m.swap !== 0 ? m.swap : undefined;
  if (m.checkBeforeUpdate && limit !== undefined && limit > 0) {
    const usage = Number(d.read('memory.usage_in_bytes'));
    if (usage > limit) {
      throw new BerthError('BERTH_ECGROUP', `cgroup memory: new limit ${limit} is below the current usage ${usage} (checkBeforeUpdate)`);
    }
  }
  if (swap !== undefined && !d.has('memory.memsw.limit_in_bytes')) {
    warn('memory.swap ignored: memory.memsw.limit_in_bytes is absent (swap accounting is off; boot with swapaccount=1)');
    swap = undefined;
  }
  if (limit !== undefined && swap !== undefined) {
    // The kernel keeps memsw ≥ limit at every step, so when raising, memsw goes first,
    // and when lowering, the limit goes first.
    const current = Number(d.read('memory.limit_in_bytes'));
    if (limit === -1 || limit > current) {
      d.write('memory.memsw.limit_in_bytes', swap);
      d.write('memory.limit_in_bytes', limit);
    } else {
      d.write('memory.limit_in_bytes', limit);
      d.write('memory.memsw.limit_in_bytes', swap);
    }
  } else if (limit !== undefined) {
    d.write('memory.limit_in_bytes', limit);
  } else if (swap !== undefined) {
    d.write('memory.memsw.limit_in_bytes', swap);
  }
  if (m.reservation !== undefined && m.reservation !== 0) d.write('memory.soft_limit_in_bytes', m.reservation);
  if (m.kernel !== undefined && m.kernel !== 0) warn('memory.kernel ignored: kernel memory limits are deprecated and no longer enforced by Linux');
  if (m.kernelTCP !== undefined && m.kernelTCP !== 0) {
    if (d.has('memory.kmem.tcp.limit_in_bytes')) d.write('memory.kmem.tcp.limit_in_bytes', m.kernelTCP);
    else warn('memory.kernelTCP ignored: memory.kmem.tcp.limit_in_bytes is absent');
  }
  if (m.swappiness !== undefined) d.write('memory.swappiness', m.swappiness);
  if (m.disableOOMKiller !== undefined) d.write('memory.oom_control', m.disableOOMKiller ? '1' : '0');
  // Modern kernels are always hierarchical and reject turning it off.
  if (m.useHierarchy === true) d.write('memory.use_hierarchy', '1');
}

function applyCpu(d: CgroupDir, c: LinuxCPU, warn: WarningSink): void {
  if (c.shares !== undefined && c.shares !== 0) d.write('cpu.shares', c.shares);
  const period = c.period !== undefined && c.period !== 0 ? c.period : undefined;
  const quota = c.quota !== undefined && c.quota !== 0 ? c.quota : undefined;
  if (period !== undefined) {
    try {
      d.write('cpu.cfs_period_us', period);
    } catch (e) {
      // A shorter period can make the current quota exceed what the parent allows;
      // with a new quota at hand, setting it first resolves that.
      if (quota === undefined) throw e;
      d.write('cpu.cfs_quota_us', quota);
      d.write('cpu.cfs_period_us', period);
    }
  }
  if (quota !== undefined) d.write('cpu.cfs_quota_us', quota);
  if (c.burst !== undefined) {
    if (d.has('cpu.cfs_burst_us')) d.write('cpu.cfs_burst_us', c.burst);
    else warn('cpu.burst ignored: cpu.cfs_burst_us is absent (kernel < 5.14)');
  }
  // The runtime must fit inside the period, so the period goes first.
  if (c.realtimePeriod !== undefined && c.realtimePeriod !== 0) d.write('cpu.rt_period_us', c.realtimePeriod);
  if (c.realtimeRuntime !== undefined && c.realtimeRuntime !== 0) d.write('cpu.rt_runtime_us', c.realtimeRuntime);
  if (c.idle !== undefined) {
    if (d.has('cpu.idle')) d.write('cpu.idle', c.idle);
    else warn('cpu.idle ignored: cpu.idle is absent (kernel < 5.15)');
  }
}

/**
 * Proportional weights exist only with the CFQ (blkio.weight) or BFQ (blkio.bfq.weight)
 * scheduler; without them they are skipped with a warning, as runc does, while the
 * throttle files always exist.
 */
function applyBlkio(d: CgroupDir, b: LinuxBlockIO, warn: WarningSink): void {
  const weightFile = d.has('blkio.weight') ? 'blkio.weight' : d.has('blkio.bfq.weight') ? 'blkio.bfq.weight' : undefined;
  const noWeight = (what: string): void =>
    warn(`blockIO.${what} ignored: the kernel has neither blkio.weight nor blkio.bfq.weight (no CFQ/BFQ I/O scheduler)`);
  if (b.weight !== undefined && b.weight !== 0) {
    if (weightFile) d.write(weightFile, b.weight);
    else noWeight('weight');
  }
  if (b.leafWeight !== undefined && b.leafWeight !== 0) {
    if (d.has('blkio.leaf_weight')) d.write('blkio.leaf_weight', b.leafWeight);
    else warn('blockIO.leafWeight ignored: blkio.leaf_weight is absent');
  }
  for (const wd of b.weightDevice ?? []) {
    if (wd.weight !== undefined) {
      if (weightFile) d.write(`${weightFile}_device`, `${wd.major}:${wd.minor} ${wd.weight}`);
      else noWeight('weightDevice');
    }
    if (wd.leafWeight !== undefined) {
      if (d.has('blkio.leaf_weight_device')) d.write('blkio.leaf_weight_device', `${wd.major}:${wd.minor} ${wd.leafWeight}`);
      else warn('blockIO.weightDevice leafWeight ignored: blkio.leaf_weight_device is absent');
    }
  }
  const throttles: Array<[keyof LinuxBlockIO, string]> = [
    ['throttleReadBpsDevice', 'blkio.throttle.read_bps_device'],
    ['throttleWriteBpsDevice', 'blkio.throttle.write_bps_device'],
    ['throttleReadIOPSDevice', 'blkio.throttle.read_iops_device'],
    ['throttleWriteIOPSDevice', 'blkio.throttle.write_iops_device'],
  ];
  for (const [key, file] of throttles) {
    const list = b[key] as LinuxBlockIO['throttleReadBpsDevice'];
    for (const t of list ?? []) d.write(file, `${t.major}:${t.minor} ${t.rate}`);
  }
}
