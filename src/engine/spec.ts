// The OCI config.json of a container: docker's defaults (capabilities, seccomp, masked paths,
// /dev/shm, hosts files bound from the container dir) plus the image config and the flags.
// Pure apart from stat() of throttled devices, so the shape is unit-tested.
import { statSync } from 'node:fs';
import { BerthError } from '../errors.js';
import { OCI_VERSION, type LinuxResources, type Mount, type Spec } from '../oci/runtime-spec.js';
import { CAPABILITIES } from '../runtime/plan/capabilities.js';
import { defaultSeccompProfile } from '../runtime/seccomp/index.js';
import type { CreateRequest, ResolvedConfig } from './config.js';
import type { ContainerPaths } from './paths.js';
import { cpuQuota } from './parse.js';

/** Docker's default capability set (moby oci/caps/defaults.go). */
export const DOCKER_DEFAULT_CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

export const MASKED_PATHS = [
  '/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap',
];

export const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/** Where --init's binary is bound in the container: /dev is a fresh tmpfs, so the image is untouched. */
export const INIT_PATH = '/dev/init';

const capName = (c: string): string => {
  const u = c.toUpperCase();
  return u.startsWith('CAP_') ? u : `CAP_${u}`;
};

export function capabilitySet(req: Pick<CreateRequest, 'capAdd' | 'capDrop' | 'privileged'>): string[] {
  const all = (CAPABILITIES as readonly string[]).map((c) => (c.startsWith('CAP_') ? c : `CAP_${c.toUpperCase()}`));
  if (req.privileged) return all;
  const known = new Set(all);
  let caps = new Set(DOCKER_DEFAULT_CAPS);
  for (const c of req.capAdd) {
    if (c.toUpperCase() === 'ALL') caps = new Set(all);
    else if (!known.has(capName(c))) throw new BerthError('BERTH_EINVAL', `unknown capability "${c}" in --cap-add`);
    else caps.add(capName(c));
  }
  for (const c of req.capDrop) {
    if (c.toUpperCase() === 'ALL') caps.clear();
    else if (!known.has(capName(c))) throw new BerthError('BERTH_EINVAL', `unknown capability "${c}" in --cap-drop`);
    else caps.delete(capName(c));
  }
  return all.filter((c) => caps.has(c));
}

/** A user mount whose host source is already known (volume dirs resolved by the caller). */
export interface HostMount {
  type: 'bind' | 'tmpfs';
  source: string;
  target: string;
  readOnly: boolean;
  options: string[];
}

export interface SpecInput {
  id: string;
  req: CreateRequest;
  resolved: ResolvedConfig;
  paths: ContainerPaths;
  mounts: HostMount[];
  /** Host path of the init binary when --init. */
  initBinary?: string;
  /** The network namespace: a path to join, null for the host's, undefined for a fresh one. */
  netns?: string | null;
  /** Another container's hosts files (--network container:X shares them, as docker does). */
  hostsFiles?: { hosts: string; hostname: string; resolvConf: string };
}

function deviceNumbers(path: string): { major: number; minor: number } {
  let rdev: number;
  try {
    const st = statSync(path);
    if (!st.isBlockDevice()) throw new BerthError('BERTH_EINVAL', `${path} is not a block device`);
    rdev = st.rdev;
  } catch (e) {
    if (e instanceof BerthError) throw e;
    throw new BerthError('BERTH_EINVAL', `device ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return { major: Math.floor(rdev / 256) & 0xfff, minor: (rdev & 0xff) | ((Math.floor(rdev / 4096) & ~0xff) >>> 0) };
}

export function buildResources(req: CreateRequest): LinuxResources {
  const r = req.resources;
  const res: LinuxResources = {
    devices: req.privileged ? [{ allow: true, access: 'rwm' }] : [{ allow: false, access: 'rwm' }],
  };
  if (r.memory !== undefined) {
    // docker: without --memory-swap the swap allowance equals the memory limit (total = 2x).
    const swap = r.memorySwap ?? r.memory * 2;
    res.memory = { limit: r.memory, swap };
  } else if (r.memorySwap !== undefined && r.memorySwap !== -1) {
    throw new BerthError('BERTH_EINVAL', '--memory-swap needs --memory as well');
  }
  if (r.memory !== undefined && r.memorySwap !== undefined && r.memorySwap !== -1 && r.memorySwap < r.memory) {
    throw new BerthError('BERTH_EINVAL', '--memory-swap must be larger than --memory (it is the total of memory and swap)');
  }
  const cpu: NonNullable<LinuxResources['cpu']> = {};
  if (r.nanoCpus !== undefined) Object.assign(cpu, cpuQuota(r.nanoCpus));
  if (r.cpuQuota !== undefined) cpu.quota = r.cpuQuota;
  if (r.cpuPeriod !== undefined) cpu.period = r.cpuPeriod;
  if (r.cpuShares !== undefined) cpu.shares = r.cpuShares;
  if (r.cpusetCpus !== undefined) cpu.cpus = r.cpusetCpus;
  if (Object.keys(cpu).length > 0) res.cpu = cpu;
  if (r.pidsLimit !== undefined && r.pidsLimit > 0) res.pids = { limit: r.pidsLimit };
  if (r.blkioWeight !== undefined || r.deviceReadBps.length > 0 || r.deviceWriteBps.length > 0) {
    res.blockIO = {};
    if (r.blkioWeight !== undefined) {
      if (r.blkioWeight !== 0 && (r.blkioWeight < 10 || r.blkioWeight > 1000)) throw new BerthError('BERTH_EINVAL', '--blkio-weight must be 10..1000');
      res.blockIO.weight = r.blkioWeight;
    }
    if (r.deviceReadBps.length > 0) res.blockIO.throttleReadBpsDevice = r.deviceReadBps.map((d) => ({ ...deviceNumbers(d.path), rate: d.rate }));
    if (r.deviceWriteBps.length > 0) res.blockIO.throttleWriteBpsDevice = r.deviceWriteBps.map((d) => ({ ...deviceNumbers(d.path), rate: d.rate }));
  }
  return res;
}

function baseMounts(req: CreateRequest): Mount[] {
  const sysRo = req.privileged ? [] : ['ro'];
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', ...sysRo] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', ...sysRo] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=67108864'] },
  ];
}

export function buildSpec(input: SpecInput): Spec {
  const { req, resolved, paths } = input;
  const caps = capabilitySet(req);
  const mounts = baseMounts(req);
  const userTargets = new Set(input.mounts.map((m) => m.target));
  // The hosts files come from the container dir, as docker binds them; a user mount wins.
  const hf = input.hostsFiles ?? paths;
  for (const [dest, src] of [['/etc/hosts', hf.hosts], ['/etc/hostname', hf.hostname], ['/etc/resolv.conf', hf.resolvConf]] as const) {
    if (!userTargets.has(dest)) mounts.push({ destination: dest, type: 'bind', source: src, options: ['rbind', 'rprivate', ...(req.readOnly ? ['ro'] : [])] });
  }
  for (const m of input.mounts) {
    if (m.type === 'tmpfs') {
      const opts = m.options.length > 0 || m.readOnly ? m.options : [];
      mounts.push({ destination: m.target, type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'noexec', ...opts, ...(m.readOnly ? ['ro'] : [])] });
    } else {
      const prop = m.options.find((o) => /^r?(private|shared|slave)$/.test(o)) ?? 'rprivate';
      mounts.push({ destination: m.target, type: 'bind', source: m.source, options: ['rbind', prop, ...(m.readOnly ? ['ro'] : [])] });
    }
  }
  const args = [...resolved.args];
  if (input.initBinary !== undefined) {
    mounts.push({ destination: INIT_PATH, type: 'bind', source: input.initBinary, options: ['bind', 'ro', 'nosuid', 'nodev'] });
    args.unshift(INIT_PATH, '--');
  }
  const namespaces: NonNullable<Spec['linux']>['namespaces'] = [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }];
  const netns = input.netns !== undefined ? input.netns : req.network === 'host' ? null : undefined;
  if (netns !== null) namespaces.push(netns === undefined ? { type: 'network' } : { type: 'network', path: netns });
  const spec: Spec = {
    ociVersion: OCI_VERSION,
    process: {
      terminal: req.tty,
      user: { uid: resolved.uid, gid: resolved.gid, ...(resolved.additionalGids.length > 0 ? { additionalGids: resolved.additionalGids } : {}) },
      args,
      env: resolved.env,
      cwd: resolved.cwd,
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      noNewPrivileges: req.noNewPrivileges,
      // docker leaves rlimits to the host unless --ulimit is given; raising one above the host's hard
      // limit fails without CAP_SYS_RESOURCE, so nothing is asked for by default.
      ...(req.ulimits.length > 0
        ? { rlimits: req.ulimits.map((u) => ({ type: `RLIMIT_${u.name.toUpperCase()}`, soft: u.soft, hard: u.hard })) }
        : {}),
    },
    root: { path: 'rootfs', readonly: req.readOnly },
    hostname: resolved.hostname,
    mounts,
    annotations: { 'io.berth.container.id': input.id },
    linux: {
      namespaces,
      cgroupsPath: `/berth/${input.id}`,
      resources: buildResources(req),
      ...(req.privileged ? {} : { maskedPaths: [...MASKED_PATHS], readonlyPaths: [...READONLY_PATHS] }),
    },
  };
  if (!req.privileged && req.seccomp !== 'unconfined') {
    const linux = spec.linux!;
    if (req.seccomp === undefined) linux.seccomp = defaultSeccompProfile({ capabilities: caps }) as NonNullable<Spec['linux']>['seccomp'];
    else {
      try {
        linux.seccomp = JSON.parse(req.seccomp) as NonNullable<Spec['linux']>['seccomp'];
      } catch {
        throw new BerthError('BERTH_EINVAL', '--security-opt seccomp=FILE: the profile is not JSON');
      }
    }
  }
  return spec;
}
