// Writing LinuxResources into cgroup v2 files, converting the OCI's v1-shaped values.

import { BerthError } from '../../errors.js';
import { compileDeviceFilter } from './device-bpf.js';
import { blkioWeightToIoWeight, hasAny, parseLimit, pidsMax, sharesToWeight, swapToV2 } from './convert.js';
import type { CgroupDir, WarningSink } from './fs.js';
import type { LinuxBlockIO, LinuxCPU, LinuxDeviceCgroup, LinuxMemory, LinuxResources } from './resources.js';
import { rdmaLines } from './v1-apply.js';

/** Refuses, before any write, what v2 cannot express at all. */
export function checkV2(r: LinuxResources): void {
  if ((r.cpu?.realtimeRuntime ?? 0) !== 0 || (r.cpu?.realtimePeriod ?? 0) !== 0) {
    throw new BerthError('BERTH_EUNSUPPORTED', 'cgroup cpu: realtimeRuntime/realtimePeriod need cgroup v1 (v2 has no per-cgroup realtime budget)');
  }
}

/** A controller's interface file must exist, or the controller is not enabled here. */
function need(d: CgroupDir, controller: string, file: string): void {
  if (!d.has(file)) {
    throw new BerthError('BERTH_EUNSUPPORTED', `cgroup ${controller}: ${file} is missing in ${d.dir} (the ${controller} controller is not available)`);
  }
}

export function applyV2(d: CgroupDir, r: LinuxResources, warn: WarningSink): void {
  checkV2(r);
  if (r.devices !== undefined) applyDevices(d, r.devices, warn);
  if (r.network?.classID !== undefined || (r.network?.priorities?.length ?? 0) > 0) {
    warn('network classID/priorities ignored: cgroup v2 has no net_cls/net_prio controller');
  }
  if (r.cpu?.cpus || r.cpu?.mems) {
    need(d, 'cpuset', 'cpuset.cpus');
    if (r.cpu.cpus) d.write('cpuset.cpus', r.cpu.cpus);
    if (r.cpu.mems) d.write('cpuset.mems', r.cpu.mems);
  }
  if (hasAny(r.memory)) applyMemory(d, r.memory!, warn);
  if (hasAny({ ...r.cpu, cpus: undefined, mems: undefined })) applyCpu(d, r.cpu!);
  if (r.pids?.limit !== undefined) {
    need(d, 'pids', 'pids.max');
    d.write('pids.max', pidsMax(r.pids.limit));
  }
  if (hasAny(r.blockIO)) applyIo(d, r.blockIO!, warn);
  for (const h of r.hugepageLimits ?? []) {
    need(d, 'hugetlb', `hugetlb.${h.pageSize}.max`);
    d.write(`hugetlb.${h.pageSize}.max`, h.limit);
  }
  if (r.rdma !== undefined && Object.keys(r.rdma).length > 0) {
    if (!d.has('rdma.max')) warn('rdma limits ignored: the rdma controller is not available');
    else for (const line of rdmaLines(r.rdma)) d.write('rdma.max', line);
  }
  // Last, so explicit unified values override the converted ones, as in runc.
  for (const [key, value] of Object.entries(r.unified ?? {})) {
    if (!d.has(key)) {
      throw new BerthError('BERTH_EUNSUPPORTED', `cgroup: unified key ${JSON.stringify(key)}: no such file in ${d.dir} (is its controller available?)`);
    }
    d.write(key, value);
  }
}

/**
 * v2 has no devices files: the rules (replayed on "deny a", as the v1 driver writes them) become an
 * eBPF program attached to the cgroup, which replaces the one attached before.
 */
function applyDevices(d: CgroupDir, rules: LinuxDeviceCgroup[], warn: WarningSink): void {
  const { program, state } = compileDeviceFilter(rules);
  for (const x of state.ineffective) {
    warn(`device rule "${x.rule}" has no full effect, as on cgroup v1: it cannot cut into the exception "${x.blockedBy}"`);
  }
  if (!d.fs.attachDeviceFilter) {
    throw new BerthError('BERTH_EUNSUPPORTED', `cgroup v2 devices: cannot attach an eBPF device filter to ${d.dir} (this cgroup filesystem has no bpf(2))`);
  }
  d.fs.attachDeviceFilter(d.dir, program);
}

function applyMemory(d: CgroupDir, m: LinuxMemory, warn: WarningSink): void {
  need(d, 'memory', 'memory.max');
  const limit = m.limit !== undefined && m.limit !== 0 ? m.limit : undefined;
  if (m.checkBeforeUpdate && limit !== undefined && limit > 0) {
    const usage = Number(d.read('memory.current'));
    if (usage > limit) {
      throw new BerthError('BERTH_ECGROUP', `cgroup memory: new limit ${limit} is below the current usage ${usage} (checkBeforeUpdate)`);
    }
  }
  // swap.max is derived from the memory limit; on update that may be the one in force.
  let effectiveLimit = limit;
  if (effectiveLimit === undefined && m.swap !== undefined && m.swap > 0) {
    effectiveLimit = parseLimit(d.read('memory.max')) ?? -1;
  }
  const swapMax = swapToV2(m.swap, effectiveLimit);
  if (limit !== undefined) d.write('memory.max', limit === -1 ? 'max' : limit);
  if (swapMax !== undefined) {
    if (d.has('memory.swap.max')) d.write('memory.swap.max', swapMax);
    else if (m.swap !== undefined && m.swap > 0) warn('memory.swap ignored: memory.swap.max is absent (swap accounting is off)');
  }
  if (m.reservation !== undefined && m.reservation !== 0) d.write('memory.low', m.reservation === -1 ? 'max' : m.reservation);
  if (m.kernel !== undefined && m.kernel !== 0) warn('memory.kernel ignored: cgroup v2 has no separate kernel memory limit');
  if (m.kernelTCP !== undefined && m.kernelTCP !== 0) warn('memory.kernelTCP ignored: cgroup v2 has no separate TCP memory limit');
  if (m.swappiness !== undefined) warn('memory.swappiness ignored: cgroup v2 has no per-cgroup swappiness');
  if (m.disableOOMKiller === true) warn('memory.disableOOMKiller ignored: cgroup v2 cannot disable the OOM killer for a cgroup');
}

function applyCpu(d: CgroupDir, c: LinuxCPU): void {
  need(d, 'cpu', 'cpu.max');
  if (c.shares !== undefined && c.shares !== 0) d.write('cpu.weight', sharesToWeight(c.shares));
  const period = c.period !== undefined && c.period !== 0 ? c.period : undefined;
  const quota = c.quota !== undefined && c.quota !== 0 ? c.quota : undefined;
  if (quota !== undefined || period !== undefined) {
    // cpu.max takes both halves in one write; a missing half keeps its current value.
    const [curQuota, curPeriod] = d.read('cpu.max').split(/\s+/);
    const q = quota === undefined ? (curQuota ?? 'max') : quota < 0 ? 'max' : String(quota);
    const p = period ?? curPeriod ?? '100000';
    d.write('cpu.max', `${q} ${p}`);
  }
  if (c.burst !== undefined) d.write('cpu.max.burst', c.burst);
  if (c.idle !== undefined) d.write('cpu.idle', c.idle);
}

/**
 * BFQ's io.bfq.weight takes the v1 scale [1, 1000] unchanged; io.weight (the iocost
 * controller) has [1, 10000] and needs converting. Whichever exists is used.
 */
function applyIo(d: CgroupDir, b: LinuxBlockIO, warn: WarningSink): void {
  const bfq = d.has('io.bfq.weight');
  const weightFile = bfq ? 'io.bfq.weight' : d.has('io.weight') ? 'io.weight' : undefined;
  const conv = (w: number): number => (bfq ? w : blkioWeightToIoWeight(w));
  if (b.weight !== undefined && b.weight !== 0) {
    if (weightFile) d.write(weightFile, conv(b.weight));
    else warn('blockIO.weight ignored: neither io.bfq.weight nor io.weight exists');
  }
  if (b.leafWeight !== undefined && b.leafWeight !== 0) warn('blockIO.leafWeight ignored: cgroup v2 has no leaf weight');
  for (const wd of b.weightDevice ?? []) {
    if (wd.weight !== undefined) {
      if (weightFile) d.write(weightFile, `${wd.major}:${wd.minor} ${conv(wd.weight)}`);
      else warn('blockIO.weightDevice ignored: neither io.bfq.weight nor io.weight exists');
    }
    if (wd.leafWeight !== undefined) warn('blockIO.weightDevice leafWeight ignored: cgroup v2 has no leaf weight');
  }
  const lines = ioMaxLines(b);
  if (lines.length > 0) need(d, 'io', 'io.max');
  for (const line of lines) d.write('io.max', line);
}

/** One "MAJ:MIN rbps=N wbps=N riops=N wiops=N" line per device; a rate of 0 lifts that limit. */
export function ioMaxLines(b: LinuxBlockIO): string[] {
  const byDev = new Map<string, string[]>();
  const add = (list: LinuxBlockIO['throttleReadBpsDevice'], key: string): void => {
    for (const t of list ?? []) {
      const dev = `${t.major}:${t.minor}`;
      byDev.set(dev, [...(byDev.get(dev) ?? []), `${key}=${t.rate === 0 ? 'max' : t.rate}`]);
    }
  };
  add(b.throttleReadBpsDevice, 'rbps');
  add(b.throttleWriteBpsDevice, 'wbps');
  add(b.throttleReadIOPSDevice, 'riops');
  add(b.throttleWriteIOPSDevice, 'wiops');
  return [...byDev].map(([dev, kvs]) => `${dev} ${kvs.join(' ')}`);
}
