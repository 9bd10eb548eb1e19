import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isBerthError } from '../../errors.js';
import type { Spec } from '../../oci/runtime-spec.js';
import { defaultSpec } from '../spec-default.js';
import { buildCreatePlan, buildExecPlan, ROOTFS_IDMAP_ANNOTATION, timeNamespaceOffsets, type CreatePlanOptions } from './build-plan.js';
import { encodePlan } from './encode.js';
import { Tag } from './tags.js';

/** The payloads of one record tag in an encoded plan. */
function one(buf: Buffer, tag: number): Buffer[] {
  const out: Buffer[] = [];
  for (let off = 0; off < buf.length;) {
    const len = buf.readUInt32LE(off + 2);
    if (buf.readUInt16LE(off) === tag) out.push(buf.subarray(off + 6, off + 6 + len));
    off += 6 + len;
  }
  return out;
}
import { CAPABILITIES } from './capabilities.js';
import { DEFAULT_DEVICES } from './default-devices.js';
import { MS } from '../../sys/mount-options.js';
import { CLONE_NEW } from './namespaces.js';
import { RLIM_INFINITY } from './rlimits.js';

const HOST_FILES: Record<string, 'dir' | 'file'> = { '/data': 'dir', '/etc/resolv.conf': 'file', '/b/hosts': 'file', '/sys': 'dir' };

function opts(extra: Partial<CreatePlanOptions> = {}): CreatePlanOptions {
  return {
    bundle: '/b', execFifo: '/run/berth/c1/exec.fifo', noPivot: false, preserveFds: 0, foreground: false,
    consoleSocket: '/tmp/console.sock',
    userNamespacePrivileged: true, hostHasKcore: true, hasAppArmor: false, hasSELinux: false,
    hostCgroups: { unified: true, hierarchies: [], symlinks: [] },
    statSource: (p) => HOST_FILES[p],
    ...extra,
  };
}

function spec(mutate?: (s: Spec) => void): Spec {
  const s = defaultSpec();
  s.root = { path: '/b/rootfs', readonly: true };
  mutate?.(s);
  return s;
}

function fails(s: Spec, o: CreatePlanOptions, code: string, message: string | RegExp): void {
  assert.throws(() => buildCreatePlan(s, o), (e: unknown) => {
    assert.ok(isBerthError(e), String(e));
    assert.equal(e.code, code);
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  });
}

test('runc\'s default spec becomes the expected plan', () => {
  const { plan, warnings } = buildCreatePlan(spec(), opts());
  assert.deepEqual(warnings, []);
  assert.equal(plan.mode, 'create');
  assert.equal(plan.cloneFlags, CLONE_NEW.pid | CLONE_NEW.network | CLONE_NEW.ipc | CLONE_NEW.uts | CLONE_NEW.mount);
  assert.deepEqual(plan.joinNamespaces, []);
  assert.equal(plan.waitForGo, true);
  assert.equal(plan.runHooks, false);
  assert.equal(plan.rootfs, '/b/rootfs');
  assert.equal(plan.rootfsReadonly, true);
  assert.equal(plan.rootfsPropagation, MS.SLAVE | MS.REC);
  assert.equal(plan.hostname, 'runc');
  assert.deepEqual(plan.mounts.map((m) => [m.target, m.fstype, m.source, m.flags, m.data, m.remountFlags, m.targetKind]), [
    ['/proc', 'proc', 'proc', 0n, '', 0n, 'dir'],
    ['/dev', 'tmpfs', 'tmpfs', MS.NOSUID | MS.STRICTATIME, 'mode=755,size=65536k', 0n, 'dir'],
    ['/dev/pts', 'devpts', 'devpts', MS.NOSUID | MS.NOEXEC, 'newinstance,ptmxmode=0666,mode=0620,gid=5', 0n, 'dir'],
    ['/dev/shm', 'tmpfs', 'shm', MS.NOSUID | MS.NOEXEC | MS.NODEV, 'mode=1777,size=65536k', 0n, 'dir'],
    ['/dev/mqueue', 'mqueue', 'mqueue', MS.NOSUID | MS.NOEXEC | MS.NODEV, '', 0n, 'dir'],
    ['/sys', 'sysfs', 'sysfs', MS.NOSUID | MS.NOEXEC | MS.NODEV | MS.RDONLY, '', 0n, 'dir'],
    ['/sys/fs/cgroup', 'cgroup2', 'cgroup', MS.NOSUID | MS.NOEXEC | MS.NODEV | MS.RELATIME | MS.RDONLY, '', 0n, 'dir'],
  ]);
  assert.equal(plan.capabilities?.bounding, (1n << 29n) | (1n << 5n) | (1n << 10n));
  assert.equal(plan.capabilities?.inheritable, 0n);
  assert.deepEqual(plan.rlimits, [{ resource: 7, soft: 1024n, hard: 1024n }]);
  assert.equal(plan.noNewPrivileges, true);
  assert.deepEqual(plan.user, { uid: 0, gid: 0, additionalGids: [] });
  assert.equal(plan.setgroups, true);
  assert.equal(plan.terminal, true);
  assert.deepEqual(plan.args, ['sh']);
  assert.equal(plan.cwd, '/');
  assert.equal(plan.execFifo, '/run/berth/c1/exec.fifo');
  assert.equal(plan.consoleSocket, '/tmp/console.sock');
  assert.equal(plan.syncFd, 3);
  assert.deepEqual(plan.maskedPaths, spec().linux!.maskedPaths);
  assert.deepEqual(plan.readonlyPaths, spec().linux!.readonlyPaths);
});

test('default devices and /dev symlinks, without and with /proc/kcore on the host', () => {
  const { plan } = buildCreatePlan(spec(), opts());
  assert.deepEqual(plan.devices.map((d) => [d.path, d.type, d.major, d.minor, d.mode, d.uid, d.gid, d.bindFromHost]), [
    ['/dev/null', 'c', 1, 3, 0o666, 0, 0, false],
    ['/dev/zero', 'c', 1, 5, 0o666, 0, 0, false],
    ['/dev/full', 'c', 1, 7, 0o666, 0, 0, false],
    ['/dev/random', 'c', 1, 8, 0o666, 0, 0, false],
    ['/dev/urandom', 'c', 1, 9, 0o666, 0, 0, false],
    ['/dev/tty', 'c', 5, 0, 0o666, 0, 0, false],
  ]);
  assert.equal(DEFAULT_DEVICES.length, 6);
  assert.deepEqual(plan.symlinks, [
    { target: '/proc/self/fd', path: '/dev/fd' },
    { target: '/proc/self/fd/0', path: '/dev/stdin' },
    { target: '/proc/self/fd/1', path: '/dev/stdout' },
    { target: '/proc/self/fd/2', path: '/dev/stderr' },
    { target: 'pts/ptmx', path: '/dev/ptmx' },
    { target: '/proc/kcore', path: '/dev/core' },
  ]);
  const noKcore = buildCreatePlan(spec(), opts({ hostHasKcore: false })).plan;
  assert.ok(!noKcore.symlinks.some((l) => l.path === '/dev/core'));
});

test('spec devices replace defaults by path, add new ones, strip file-type bits; /dev/ptmx is refused', () => {
  const { plan, warnings } = buildCreatePlan(spec((s) => {
    s.linux!.devices = [
      { path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o20666, uid: 0, gid: 0 },
      { path: '/dev/null', type: 'c', major: 1, minor: 3, fileMode: 0o600, uid: 5, gid: 6 },
      { path: '/dev/ptmx', type: 'c', major: 5, minor: 2 },
      { path: '/run/fifo', type: 'p' },
    ];
  }), opts());
  const byPath = new Map(plan.devices.map((d) => [d.path, d]));
  assert.equal(plan.devices.length, 8);
  assert.equal(plan.devices.filter((d) => d.path === '/dev/null').length, 1);
  assert.deepEqual(byPath.get('/dev/null'), { path: '/dev/null', type: 'c', major: 1, minor: 3, mode: 0o600, uid: 5, gid: 6, bindFromHost: false });
  assert.equal(byPath.get('/dev/fuse')?.mode, 0o666);
  assert.equal(byPath.get('/run/fifo')?.type, 'p');
  assert.ok(!byPath.has('/dev/ptmx'));
  assert.match(warnings.join('\n'), /\/dev\/ptmx is ignored/);
});

test('a user namespace binds devices from the host and, unprivileged, denies setgroups', () => {
  const rootless = defaultSpec({ rootless: true, hostUid: 1000, hostGid: 1000 });
  rootless.root = { path: '/b/rootfs' };
  rootless.process!.user!.additionalGids = [5];
  const { plan, warnings } = buildCreatePlan(rootless, opts({ userNamespacePrivileged: false }));
  assert.ok(plan.devices.every((d) => d.bindFromHost));
  assert.equal(plan.setgroups, false);
  assert.deepEqual(plan.user.additionalGids, [5]);
  assert.match(warnings.join('\n'), /additionalGids ignored/);
  assert.equal(plan.cloneFlags & CLONE_NEW.user, CLONE_NEW.user);
  assert.equal(plan.cloneFlags & CLONE_NEW.network, 0n);
  const sys = plan.mounts.find((m) => m.target === '/sys')!;
  assert.deepEqual([sys.fstype, sys.source, sys.flags, sys.remountFlags], ['', '/sys', MS.BIND | MS.REC | MS.NOSUID | MS.NOEXEC | MS.NODEV | MS.RDONLY, MS.NOSUID | MS.NOEXEC | MS.NODEV | MS.RDONLY]);
  // A one-id gid map is what an unprivileged user could write: setgroups stays denied even when a
  // privileged runtime writes it; a range mapped by a privileged runtime allows it.
  assert.equal(buildCreatePlan(rootless, opts({ userNamespacePrivileged: true })).plan.setgroups, false);
  const ranged = structuredClone(rootless);
  ranged.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  ranged.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  const priv = buildCreatePlan(ranged, opts({ userNamespacePrivileged: true })).plan;
  assert.equal(priv.setgroups, true);
  assert.ok(priv.devices.every((d) => d.bindFromHost), 'mknod is impossible in any non-initial user namespace');
});

test('joined namespaces: user first, mount last, whatever the spec order', () => {
  const { plan } = buildCreatePlan(spec((s) => {
    s.linux!.namespaces = [
      { type: 'mount', path: '/proc/9/ns/mnt' }, { type: 'network', path: '/run/netns/a' }, { type: 'pid' },
      { type: 'ipc', path: '/proc/9/ns/ipc' }, { type: 'user', path: '/proc/9/ns/user' }, { type: 'uts' },
      { type: 'cgroup', path: '/proc/9/ns/cgroup' },
    ];
  }), opts());
  assert.deepEqual(plan.joinNamespaces, [
    { type: Number(CLONE_NEW.user), path: '/proc/9/ns/user' },
    { type: Number(CLONE_NEW.ipc), path: '/proc/9/ns/ipc' },
    { type: Number(CLONE_NEW.network), path: '/run/netns/a' },
    { type: Number(CLONE_NEW.cgroup), path: '/proc/9/ns/cgroup' },
    { type: Number(CLONE_NEW.mount), path: '/proc/9/ns/mnt' },
  ]);
  assert.equal(plan.cloneFlags, CLONE_NEW.pid | CLONE_NEW.uts);
});

test('CLONE_NEW* values are the kernel\'s', () => {
  assert.deepEqual(
    Object.fromEntries(Object.entries(CLONE_NEW).map(([k, v]) => [k, Number(v)])),
    { mount: 0x20000, cgroup: 0x2000000, uts: 0x4000000, ipc: 0x8000000, user: 0x10000000, pid: 0x20000000, network: 0x40000000, time: 0x80 },
  );
});

test('bind mounts: type bind or option bind, file targets, ro remount, relative sources, propagation', () => {
  const { plan, warnings } = buildCreatePlan(spec((s) => {
    s.mounts = [
      { destination: '/data', type: 'bind', source: '/data', options: ['rbind', 'ro', 'rprivate'] },
      { destination: '/etc/resolv.conf', source: '/etc/resolv.conf', options: ['bind', 'nosuid'] },
      { destination: '/etc/hosts', type: 'none', source: 'hosts', options: ['bind', 'shared', 'rslave'] },
    ];
  }), opts());
  assert.deepEqual(plan.mounts[0], {
    source: '/data', target: '/data', fstype: '', flags: MS.BIND | MS.REC | MS.RDONLY, propagation: MS.PRIVATE | MS.REC,
    data: '', remountFlags: MS.RDONLY, targetKind: 'dir',
  });
  assert.equal(plan.mounts[1]!.targetKind, 'file');
  assert.equal(plan.mounts[1]!.remountFlags, MS.NOSUID);
  assert.equal(plan.mounts[2]!.source, '/b/hosts');
  assert.equal(plan.mounts[2]!.propagation, MS.SLAVE | MS.REC);
  assert.match(warnings.join('\n'), /several propagation options/);
});

test('mount errors name the mount', () => {
  fails(spec((s) => { s.mounts = [{ destination: '/x', type: 'bind', source: '/nope', options: ['rbind'] }]; }), opts(),
    'BERTH_ESPEC', 'config.json: mounts[0] (/x): bind source "/nope" does not exist');
  fails(spec((s) => { s.mounts = [{ destination: '/x', type: 'bind', options: ['rbind'] }]; }), opts(),
    'BERTH_ESPEC', 'config.json: mounts[0] (/x): a bind mount needs a source');
  fails(spec((s) => { s.mounts = [{ destination: '/x', source: 'x' }]; }), opts(),
    'BERTH_ESPEC', 'config.json: mounts[0] (/x): type is required unless the mount is a bind mount');
  fails(spec((s) => { s.mounts = [{ destination: '/data', type: 'bind', source: '/data', options: ['rbind', 'rro'] }]; }), opts(),
    'BERTH_EUNSUPPORTED', 'config.json: mounts[0] (/data): mount option "rro" is not supported yet');
  fails(spec((s) => { s.mounts = [{ destination: '/data', type: 'bind', source: '/data', uidMappings: [{ containerID: 0, hostID: 1, size: 1 }] }]; }), opts(),
    'BERTH_ESPEC', 'config.json: mounts[0] (/data): an id-mapped mount needs both uidMappings and gidMappings');
  fails(spec((s) => { s.mounts = [{ destination: '/data', type: 'bind', source: '/data', options: ['bind', 'idmap'] }]; }), opts(),
    'BERTH_ESPEC', 'config.json: mounts[0] (/data): "idmap" without uidMappings/gidMappings needs a new user namespace with mappings');
  fails(spec((s) => { s.mounts = [{ destination: '/t', type: 'tmpfs', source: 'tmpfs', options: ['idmap'] }]; }), opts(),
    'BERTH_ESPEC', 'config.json: mounts[0] (/t): only bind mounts can be id-mapped');
  fails(spec((s) => { s.mounts = [{ destination: '/proc/sys', type: 'tmpfs', source: 'tmpfs' }]; }), opts(),
    'BERTH_ESPEC', 'config.json: mounts[0] (/proc/sys): cannot be mounted because it is inside /proc');
  const lxcfs = buildCreatePlan(spec((s) => { s.mounts = [{ destination: '/proc/cpuinfo', type: 'bind', source: '/etc/resolv.conf', options: ['bind'] }]; }), opts());
  assert.equal(lxcfs.plan.mounts[0]!.target, '/proc/cpuinfo');
});

test('a bind mount on /dev leaves /dev to the spec; a read-only /dev tmpfs is made read-only after the devices', () => {
  const bound = buildCreatePlan(spec((s) => { s.mounts!.push({ destination: '/dev/', type: 'bind', source: '/data', options: ['rbind'] }); }), opts()).plan;
  assert.deepEqual(bound.devices, []);
  assert.deepEqual(bound.symlinks, []);
  const ro = buildCreatePlan(spec((s) => { s.mounts![1]!.options!.push('ro'); }), opts()).plan;
  assert.equal(ro.mounts[1]!.flags & MS.RDONLY, 0n);
  assert.equal(ro.readonlyPaths.at(-1), '/dev');
  const noDev = buildCreatePlan(spec((s) => { s.mounts = s.mounts!.filter((m) => m.destination !== '/dev'); }), opts()).plan;
  assert.equal(noDev.devices.length, 6, 'devices go into the rootfs /dev without a /dev mount');
});

test('cgroup mount on a hybrid host expands to a tmpfs with the hierarchies', () => {
  const { plan } = buildCreatePlan(spec(), opts({
    hostCgroups: { unified: false, hierarchies: [{ mountpoint: '/sys/fs/cgroup/memory', fstype: 'cgroup', controllers: 'memory' }], symlinks: [] },
  }));
  const cg = plan.mounts.filter((m) => m.target.startsWith('/sys/fs/cgroup'));
  assert.deepEqual(cg.map((m) => [m.target, m.fstype, m.source]), [
    ['/sys/fs/cgroup', 'tmpfs', 'tmpfs'],
    ['/sys/fs/cgroup/memory', '', '/sys/fs/cgroup/memory'],
  ]);
  assert.equal(plan.readonlyPaths.at(-1), '/sys/fs/cgroup');
});

test('capabilities by name; unknown names are skipped with a warning', () => {
  assert.equal(CAPABILITIES.length, 41);
  assert.equal(CAPABILITIES[40], 'CAP_CHECKPOINT_RESTORE');
  assert.equal(CAPABILITIES[21], 'CAP_SYS_ADMIN');
  const { plan, warnings } = buildCreatePlan(spec((s) => {
    s.process!.capabilities = { bounding: ['CAP_CHOWN', 'CAP_SYS_ADMIN', 'CAP_CHECKPOINT_RESTORE', 'CAP_NOT_A_THING'], permitted: ['CAP_CHOWN'] };
  }), opts());
  assert.equal(plan.capabilities?.bounding, 1n | (1n << 21n) | (1n << 40n));
  assert.equal(plan.capabilities?.permitted, 1n);
  assert.equal(plan.capabilities?.effective, 0n);
  assert.deepEqual(warnings, ['ignoring unknown or unavailable capabilities: CAP_NOT_A_THING']);
  const none = buildCreatePlan(spec((s) => { delete s.process!.capabilities; }), opts()).plan;
  assert.equal(none.capabilities, undefined);
});

test('rlimits: names to numbers, 2^64-1 saturates, unknown and duplicate are errors', () => {
  const { plan } = buildCreatePlan(spec((s) => {
    s.process!.rlimits = [
      { type: 'RLIMIT_CORE', soft: 0, hard: 18446744073709551615 },
      { type: 'RLIMIT_NPROC', soft: 100, hard: 200 },
      { type: 'RLIMIT_RTTIME', soft: 1, hard: 1 },
    ];
  }), opts());
  assert.deepEqual(plan.rlimits, [
    { resource: 4, soft: 0n, hard: RLIM_INFINITY },
    { resource: 6, soft: 100n, hard: 200n },
    { resource: 15, soft: 1n, hard: 1n },
  ]);
  fails(spec((s) => { s.process!.rlimits = [{ type: 'RLIMIT_FOO', soft: 1, hard: 1 }]; }), opts(), 'BERTH_ESPEC', 'config.json: process.rlimits[0].type: unknown rlimit "RLIMIT_FOO"');
  fails(spec((s) => { s.process!.rlimits!.push({ type: 'RLIMIT_NOFILE', soft: 1, hard: 1 }); }), opts(), 'BERTH_ESPEC', 'config.json: process.rlimits[1].type: duplicate rlimit "RLIMIT_NOFILE"');
  fails(spec((s) => { s.process!.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 2, hard: 1 }]; }), opts(), 'BERTH_ESPEC', 'config.json: process.rlimits[0]: soft limit is above the hard limit');
});

test('hostname and domainname need a UTS namespace (new or joined)', () => {
  const noUts = (s: Spec) => { s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'uts'); };
  fails(spec(noUts), opts(), 'BERTH_ESPEC', 'config.json: hostname needs a UTS namespace in linux.namespaces');
  fails(spec((s) => { noUts(s); delete s.hostname; s.domainname = 'd'; }), opts(), 'BERTH_ESPEC', 'config.json: domainname needs a UTS namespace in linux.namespaces');
  const joined = buildCreatePlan(spec((s) => { noUts(s); s.linux!.namespaces!.push({ type: 'uts', path: '/proc/1/ns/uts' }); s.domainname = 'example'; }), opts()).plan;
  assert.equal(joined.hostname, 'runc');
  assert.equal(joined.domainname, 'example');
});

test('sysctls need their namespace', () => {
  const { plan } = buildCreatePlan(spec((s) => { s.linux!.sysctl = { 'net.ipv4.ip_forward': '1', 'kernel.shmmax': '100', 'fs.mqueue.msg_max': '5' }; }), opts());
  assert.deepEqual(plan.sysctls, [
    { key: 'net.ipv4.ip_forward', value: '1' }, { key: 'kernel.shmmax', value: '100' }, { key: 'fs.mqueue.msg_max', value: '5' },
  ]);
  fails(spec((s) => { s.linux!.sysctl = { 'vm.swappiness': '1' }; }), opts(), 'BERTH_ESPEC', 'config.json: linux.sysctl: "vm.swappiness" is not in a separate kernel namespace');
  fails(spec((s) => { s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'network'); s.linux!.sysctl = { 'net/ipv4/ip_forward': '1' }; }), opts(),
    'BERTH_ESPEC', 'config.json: linux.sysctl: "net/ipv4/ip_forward" needs a network namespace');
});

test('rootfsPropagation maps to MS_ flags', () => {
  const table: [string, bigint][] = [
    ['shared', MS.SHARED], ['slave', MS.SLAVE], ['private', MS.PRIVATE], ['unbindable', MS.UNBINDABLE],
    ['rshared', MS.SHARED | MS.REC], ['rslave', MS.SLAVE | MS.REC], ['rprivate', MS.PRIVATE | MS.REC], ['runbindable', MS.UNBINDABLE | MS.REC],
  ];
  for (const [p, flags] of table) {
    assert.equal(buildCreatePlan(spec((s) => { s.linux!.rootfsPropagation = p; }), opts()).plan.rootfsPropagation, flags, p);
  }
});

test('user, umask, env, console size, hooks, preserved fds', () => {
  const { plan } = buildCreatePlan(spec((s) => {
    s.process!.user = { uid: 1000, gid: 1001, umask: 0o22, additionalGids: [10, 20] };
    s.process!.env = ['A=1', 'B=2'];
    s.process!.consoleSize = { height: 24, width: 80 };
    s.hooks = { createRuntime: [{ path: '/bin/true' }] };
  }), opts({ preserveFds: 2 }));
  assert.deepEqual(plan.user, { uid: 1000, gid: 1001, umask: 0o22, additionalGids: [10, 20] });
  assert.deepEqual(plan.env, ['A=1', 'B=2']);
  assert.deepEqual(plan.consoleSize, { rows: 24, cols: 80 });
  assert.equal(plan.runHooks, true);
  assert.equal(plan.preserveFds, 2);
  assert.equal(plan.syncFd, 5);
  const poststartOnly = buildCreatePlan(spec((s) => { s.hooks = { poststart: [{ path: '/bin/true' }] }; }), opts()).plan;
  assert.equal(poststartOnly.runHooks, false);
});

test('terminal and console socket rules', () => {
  fails(spec(), opts({ consoleSocket: undefined as unknown as string }), 'BERTH_EINVAL', /console-socket/);
  fails(spec((s) => { s.process!.terminal = false; }), opts(), 'BERTH_EINVAL', /--console-socket needs process.terminal/);
  const fg = buildCreatePlan(spec(), { ...opts({ foreground: true }), consoleSocket: undefined as unknown as string }).plan;
  assert.equal(fg.terminal, true);
  assert.equal(fg.consoleSocket, undefined);
});

test('LSM labels and unsupported process fields are warnings; intelRdt and a missing seccomp program are errors', () => {
  const { warnings } = buildCreatePlan(spec((s) => {
    s.process!.apparmorProfile = 'docker-default';
    s.process!.selinuxLabel = 'system_u:system_r:container_t:s0';
    s.linux!.mountLabel = 'system_u:object_r:container_file_t:s0';
    s.process!.scheduler = { policy: 'SCHED_BATCH' };
  }), opts());
  assert.deepEqual(warnings, [
    'process.apparmorProfile "docker-default" ignored: this host has no AppArmor',
    'process.selinuxLabel ignored: this host has no SELinux',
    'linux.mountLabel ignored: this host has no SELinux',
    'process.scheduler is not supported yet; ignored',
  ]);
  fails(spec((s) => { s.linux!.intelRdt = { closID: 'x' }; }), opts(), 'BERTH_EUNSUPPORTED', 'config.json: linux.intelRdt is not supported');
  fails(spec((s) => { s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW' }; }), opts(), 'BERTH_ESECCOMP', /no filter was compiled/);
  const program = Buffer.alloc(8);
  const withSeccomp = buildCreatePlan(spec((s) => { s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW' }; }), opts({ seccompProgram: { flags: 1, program } })).plan;
  assert.deepEqual(withSeccomp.seccomp, { flags: 1, program });
});

test('a spec without process cannot be created', () => {
  fails(spec((s) => { delete s.process; }), opts(), 'BERTH_ESPEC', 'config.json: process is required to create a container');
});

test('id-mapped mounts: one holder per distinct mapping, the container\'s own for "idmap" alone and the rootfs', () => {
  const own = [{ containerID: 0, hostID: 100000, size: 65536 }];
  const other = [{ containerID: 0, hostID: 1000, size: 1 }];
  const { plan } = buildCreatePlan(spec((s) => {
    s.linux!.namespaces!.push({ type: 'user' });
    s.linux!.uidMappings = own;
    s.linux!.gidMappings = own;
    s.annotations = { [ROOTFS_IDMAP_ANNOTATION]: 'true' };
    s.mounts = [
      { destination: '/a', type: 'bind', source: '/data', options: ['rbind', 'idmap'] },
      { destination: '/b', type: 'bind', source: '/data', options: ['bind', 'ridmap'], uidMappings: other, gidMappings: other },
      { destination: '/c', type: 'bind', source: '/data', options: ['bind'], uidMappings: own, gidMappings: own },
    ];
  }), opts({ statSource: () => 'dir' }));
  assert.deepEqual(plan.usernsHolders, [{ uidMappings: own, gidMappings: own }, { uidMappings: other, gidMappings: other }]);
  assert.deepEqual(plan.mounts.map((m) => m.idmap), [{ holder: 1, recursive: false }, { holder: 2, recursive: true }, { holder: 1, recursive: false }]);
  assert.equal(plan.rootfsIdmap, 1);
  const rec = one(encodePlan(plan), Tag.IDMAP_MOUNT);
  assert.equal(rec.length, 3);
  assert.deepEqual([rec[1]!.readUInt32LE(0), rec[1]!.readUInt32LE(4)], [2, 1]);
});

test('startContainer hooks and their state, split around the pid the helper fills in', () => {
  const { plan } = buildCreatePlan(spec((s) => {
    s.hooks = { startContainer: [{ path: '/bin/hook', args: ['hook', 'x'], env: ['A=1'], timeout: 5 }, { path: '/bin/true' }] };
    s.annotations = { a: 'b' };
  }), opts({ containerId: 'c1' }));
  assert.deepEqual(plan.startHooks, [{ path: '/bin/hook', args: ['hook', 'x'], env: ['A=1'], timeout: 5 }, { path: '/bin/true', args: ['/bin/true'], env: [], timeout: 0 }]);
  const st = JSON.parse(`${plan.hookState!.before}1${plan.hookState!.after}`);
  assert.deepEqual(st, { ociVersion: '1.2.0', id: 'c1', status: 'created', pid: 1, bundle: '/b', annotations: { a: 'b' } });
});

test('time namespace offsets are rendered for the parent', () => {
  assert.equal(timeNamespaceOffsets(spec()), undefined);
  const s = spec((x) => { x.linux!.timeOffsets = { monotonic: { secs: 10, nanosecs: 5 }, boottime: { secs: -2 } }; });
  assert.equal(timeNamespaceOffsets(s), 'monotonic 10 5\nboottime -2 0\n');
});

test('exec joins every container namespace through /proc/PID/ns, user first and mount last', () => {
  const s = spec((x) => {
    x.linux!.namespaces!.push({ type: 'user' }, { type: 'cgroup', path: '/proc/7/ns/cgroup' });
    x.linux!.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
    x.linux!.gidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
  });
  const { plan } = buildExecPlan({ cwd: '/tmp', args: ['ls', '-l'], env: ['X=1'], user: { uid: 1, gid: 2 }, capabilities: { bounding: ['CAP_KILL'] } }, {
    containerPid: 4242, spec: s, foreground: true, userNamespacePrivileged: false, hasAppArmor: false, hasSELinux: false,
  });
  assert.equal(plan.mode, 'exec');
  assert.equal(plan.cloneFlags, 0n);
  assert.equal(plan.targetPid, 4242);
  assert.deepEqual(plan.joinNamespaces.map((j) => j.path), [
    '/proc/4242/ns/user', '/proc/4242/ns/ipc', '/proc/4242/ns/uts', '/proc/4242/ns/net', '/proc/4242/ns/pid',
    '/proc/4242/ns/cgroup', '/proc/4242/ns/mnt',
  ]);
  assert.equal(plan.joinNamespaces[0]!.type, Number(CLONE_NEW.user));
  assert.deepEqual(plan.mounts, []);
  assert.deepEqual(plan.devices, []);
  assert.equal(plan.setgroups, false);
  assert.deepEqual(plan.args, ['ls', '-l']);
  assert.equal(plan.cwd, '/tmp');
  assert.equal(plan.capabilities?.bounding, 1n << 5n);
  assert.equal(plan.execFifo, undefined);
  assert.equal(plan.rootfs, '');
  assert.equal(plan.waitForGo, true);
});

test('a new user namespace joining a network namespace binds the host\'s /sys (it may not mount sysfs), as runc does', () => {
  const withUserns = (netnsPath: string | undefined): Spec => spec((s) => {
    s.linux!.namespaces = s.linux!.namespaces!.map((n) => (n.type === 'network' && netnsPath !== undefined ? { type: 'network', path: netnsPath } : n));
    s.linux!.namespaces.push({ type: 'user' });
    s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    s.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  });
  const sys = (s: Spec) => buildCreatePlan(s, opts()).plan.mounts.find((m) => m.target === '/sys')!;
  const bound = sys(withUserns('/run/netns/x'));
  assert.deepEqual([bound.source, bound.fstype, bound.flags, bound.remountFlags], [
    '/sys', '', MS.NOSUID | MS.NOEXEC | MS.NODEV | MS.RDONLY | MS.BIND | MS.REC, MS.NOSUID | MS.NOEXEC | MS.NODEV | MS.RDONLY,
  ]);
  assert.equal(sys(withUserns(undefined)).fstype, 'sysfs', 'a new network namespace is the user namespace\'s own: sysfs');
  assert.equal(sys(spec((s) => { s.linux!.namespaces = s.linux!.namespaces!.map((n) => (n.type === 'network' ? { type: 'network', path: '/run/netns/x' } : n)); })).fstype, 'sysfs', 'no user namespace: sysfs');
});
