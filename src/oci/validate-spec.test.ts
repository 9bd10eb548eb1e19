import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isBerthError } from '../errors.js';
import { isSupportedOciVersion, parseProcess, parseSpec } from './validate-spec.js';

const BUNDLE = '/run/bundles/c1';

function base(): Record<string, any> {
  return {
    ociVersion: '1.0.2-dev',
    process: { user: { uid: 0, gid: 0 }, args: ['sh'], env: ['PATH=/bin'], cwd: '/' },
    root: { path: 'rootfs', readonly: true },
    hostname: 'h',
    mounts: [{ destination: '/proc', type: 'proc', source: 'proc' }],
    linux: { namespaces: [{ type: 'pid' }, { type: 'mount' }, { type: 'uts' }] },
  };
}

function parse(doc: unknown): ReturnType<typeof parseSpec> {
  return parseSpec(JSON.stringify(doc), { bundle: BUNDLE });
}

function rejects(mutate: (d: Record<string, any>) => void, message: string): void {
  const d = base();
  mutate(d);
  assert.throws(() => parse(d), (e: unknown) => {
    assert.ok(isBerthError(e, 'BERTH_ESPEC'), `expected BERTH_ESPEC, got ${String(e)}`);
    assert.equal((e as Error).message, message);
    return true;
  });
}

test('a good config parses, root.path is resolved against the bundle, unknown fields are kept', () => {
  const d = base();
  d['vendorExtension'] = { x: 1 };
  const s = parse(d);
  assert.equal(s.root?.path, '/run/bundles/c1/rootfs');
  assert.equal(s.process?.args?.[0], 'sh');
  assert.deepEqual((s as any).vendorExtension, { x: 1 });
});

test('an absolute root.path is kept as is, even outside the bundle', () => {
  const d = base();
  d['root'] = { path: '/var/lib/x/rootfs' };
  assert.equal(parse(d).root?.path, '/var/lib/x/rootfs');
  d['root'] = { path: '../shared/rootfs' };
  assert.equal(parse(d).root?.path, '/run/bundles/shared/rootfs');
});

test('invalid JSON is one line starting with "config.json: invalid JSON:"', () => {
  assert.throws(() => parseSpec('{"ociVersion": ', { bundle: BUNDLE }), (e: unknown) => {
    assert.ok(isBerthError(e, 'BERTH_ESPEC'));
    assert.match((e as Error).message, /^config\.json: invalid JSON: \S/);
    assert.ok(!(e as Error).message.includes('\n'));
    return true;
  });
  assert.throws(() => parseSpec('[]', { bundle: BUNDLE }), /config\.json: the top level must be a JSON object/);
});

test('ociVersion: 1.0.0 through 1.2.x with suffixes are accepted, others refused', () => {
  for (const v of ['1.0.0', '1.0.2-dev', '1.0.0-rc5', '1.1.0', '1.2.0', '1.2.1', '1.2.0-rc.1', '1.2.0+build.5']) {
    assert.ok(isSupportedOciVersion(v), v);
  }
  for (const v of ['2.0.0', '9.9.9', '1.3.0', '0.5.0-dev', 'garbage', '1.0', '01.0.0', '']) {
    assert.ok(!isSupportedOciVersion(v), v);
  }
  rejects((d) => { d['ociVersion'] = '9.9.9'; }, 'config.json: unsupported ociVersion "9.9.9"');
  rejects((d) => { delete d['ociVersion']; }, 'config.json: ociVersion is required');
  rejects((d) => { d['ociVersion'] = 1; }, 'config.json: ociVersion must be a string');
});

test('each bad field is named in one line', () => {
  const cases: [(d: Record<string, any>) => void, string][] = [
    [(d) => { d['process'].args = 'sh'; }, 'config.json: process.args must be an array of strings'],
    [(d) => { d['process'].args = ['sh', 1]; }, 'config.json: process.args must be an array of strings'],
    [(d) => { d['process'].args = []; }, 'config.json: process.args must not be empty'],
    [(d) => { delete d['process'].args; }, 'config.json: process.args is required'],
    [(d) => { delete d['process'].cwd; }, 'config.json: process.cwd is required'],
    [(d) => { d['process'].cwd = 'tmp'; }, 'config.json: process.cwd must be an absolute path (got "tmp")'],
    [(d) => { d['process'].env = ['NOEQUALS']; }, 'config.json: process.env[0] must be KEY=value (got "NOEQUALS")'],
    [(d) => { d['process'].env = ['=x']; }, 'config.json: process.env[0] must be KEY=value (got "=x")'],
    [(d) => { d['process'].terminal = 'yes'; }, 'config.json: process.terminal must be a boolean'],
    [(d) => { d['process'].user.uid = -1; }, 'config.json: process.user.uid must be an integer from 0 to 4294967295'],
    [(d) => { d['process'].user.gid = 1.5; }, 'config.json: process.user.gid must be an integer'],
    [(d) => { d['process'].user.additionalGids = ['x']; }, 'config.json: process.user.additionalGids[0] must be an integer'],
    [(d) => { d['process'].capabilities = { bounding: 'CAP_KILL' }; }, 'config.json: process.capabilities.bounding must be an array of strings'],
    [(d) => { d['process'].rlimits = [{ type: 'RLIMIT_NOFILE', soft: 1 }]; }, 'config.json: process.rlimits[0].hard is required'],
    [(d) => { d['process'].oomScoreAdj = 5000; }, 'config.json: process.oomScoreAdj must be an integer from -1000 to 1000'],
    [(d) => { d['process'].ioPriority = { class: 'X', priority: 1 }; }, 'config.json: process.ioPriority.class: unknown class "X"'],
    [(d) => { d['process'] = 5; }, 'config.json: process must be an object'],
    [(d) => { delete d['root']; }, 'config.json: root is required'],
    [(d) => { d['root'] = {}; }, 'config.json: root.path is required'],
    [(d) => { d['root'] = { path: '' }; }, 'config.json: root.path must not be empty'],
    [(d) => { d['root'].readonly = 'true'; }, 'config.json: root.readonly must be a boolean'],
    [(d) => { d['hostname'] = 3; }, 'config.json: hostname must be a string'],
    [(d) => { d['annotations'] = { a: 1 }; }, 'config.json: annotations.a must be a string'],
    [(d) => { d['mounts'] = {}; }, 'config.json: mounts must be an array'],
    [(d) => { d['mounts'][0].destination = 'proc'; }, 'config.json: mounts[0].destination must be an absolute path (got "proc")'],
    [(d) => { d['mounts'][0].options = 'ro'; }, 'config.json: mounts[0].options must be an array of strings'],
    [(d) => { d['hooks'] = { prestart: [{ path: 'hook' }] }; }, 'config.json: hooks.prestart[0].path must be an absolute path (got "hook")'],
    [(d) => { d['hooks'] = { poststop: [{ path: '/h', timeout: 0 }] }; }, 'config.json: hooks.poststop[0].timeout must be at least 1'],
    [(d) => { d['linux'].namespaces.push({ type: 'foo' }); }, 'config.json: linux.namespaces[3].type: unknown namespace type "foo"'],
    [(d) => { d['linux'].namespaces.push({ type: 'pid' }); }, 'config.json: linux.namespaces[3].type: duplicate namespace type "pid"'],
    [(d) => { d['linux'].namespaces.push({ type: 'network', path: 'netns' }); }, 'config.json: linux.namespaces[3].path must be an absolute path (got "netns")'],
    [(d) => { d['linux'].uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }]; }, 'config.json: linux.uidMappings requires a user namespace'],
    [(d) => { d['linux'].namespaces.push({ type: 'user' }); }, 'config.json: linux.uidMappings is required for a new user namespace'],
    [(d) => { d['linux'].devices = [{ path: 'dev/fuse', type: 'c', major: 10, minor: 229 }]; }, 'config.json: linux.devices[0].path must be an absolute path (got "dev/fuse")'],
    [(d) => { d['linux'].devices = [{ path: '/dev/x', type: 'z', major: 1, minor: 1 }]; }, 'config.json: linux.devices[0].type: unknown device type "z"'],
    [(d) => { d['linux'].devices = [{ path: '/dev/x', type: 'c', minor: 1 }]; }, 'config.json: linux.devices[0].major is required'],
    [(d) => { d['linux'].maskedPaths = ['proc/kcore']; }, 'config.json: linux.maskedPaths[0] must be an absolute path (got "proc/kcore")'],
    [(d) => { d['linux'].readonlyPaths = [5]; }, 'config.json: linux.readonlyPaths must be an array of strings'],
    [(d) => { d['linux'].rootfsPropagation = 'weird'; }, 'config.json: linux.rootfsPropagation: unknown propagation "weird"'],
    [(d) => { d['linux'].sysctl = { 'net.ipv4.ip_forward': 1 }; }, 'config.json: linux.sysctl.net.ipv4.ip_forward must be a string'],
    [(d) => { d['linux'].resources = { memory: { limit: 'lots' } }; }, 'config.json: linux.resources.memory.limit must be an integer'],
    [(d) => { d['linux'].resources = { pids: {} }; }, 'config.json: linux.resources.pids.limit is required'],
    [(d) => { d['linux'].resources = { devices: [{ access: 'rwm' }] }; }, 'config.json: linux.resources.devices[0].allow is required'],
    [(d) => { d['linux'].resources = { devices: [{ allow: true, access: 'rwx' }] }; }, 'config.json: linux.resources.devices[0].access: must be made of r, w and m (got "rwx")'],
    [(d) => { d['linux'].seccomp = { syscalls: [] }; }, 'config.json: linux.seccomp.defaultAction is required'],
    [(d) => { d['linux'].seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: [], action: 'SCMP_ACT_ERRNO' }] }; }, 'config.json: linux.seccomp.syscalls[0].names must have at least one entry'],
    [(d) => { d['linux'].timeOffsets = { monotonic: { secs: 1 } }; }, 'config.json: linux.timeOffsets requires a new time namespace'],
    [(d) => { d['linux'].timeOffsets = { realtime: { secs: 1 } }; }, 'config.json: linux.timeOffsets: unknown clock "realtime"'],
    [(d) => { d['linux'].personality = { domain: 'BSD' }; }, 'config.json: linux.personality.domain: unknown domain "BSD"'],
    [(d) => { d['linux'] = []; }, 'config.json: linux must be an object'],
  ];
  for (const [mutate, message] of cases) rejects(mutate, message);
});

test('user namespaces with maps, joined namespaces, time offsets and a full resources block are accepted', () => {
  const d = base();
  d['linux'].namespaces.push({ type: 'user' }, { type: 'time' }, { type: 'network', path: '/var/run/netns/a' });
  d['linux'].uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  d['linux'].gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  d['linux'].timeOffsets = { monotonic: { secs: 100, nanosecs: 5 }, boottime: { secs: -3 } };
  d['linux'].resources = {
    devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rw' }],
    memory: { limit: 536870912, swap: -1, swappiness: 0, disableOOMKiller: false },
    cpu: { shares: 1024, quota: -1, period: 100000, cpus: '0-1' },
    pids: { limit: 100 },
    blockIO: { weight: 500, throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 600 }] },
    hugepageLimits: [{ pageSize: '2MB', limit: 9223372036854772000 }],
    unified: { 'memory.high': '1G' },
  };
  d['process'].rlimits = [{ type: 'RLIMIT_NOFILE', hard: 18446744073709551615, soft: 1024 }];
  const s = parse(d);
  assert.equal(s.linux?.namespaces?.length, 6);
});

test('an absent process is allowed by parseSpec (only create needs one)', () => {
  const d = base();
  delete d['process'];
  assert.equal(parse(d).process, undefined);
});

test('parseProcess names the process file in its errors', () => {
  const p = parseProcess('{"cwd": "/", "args": ["ls"]}');
  assert.deepEqual(p.args, ['ls']);
  assert.throws(() => parseProcess('{"cwd": "x", "args": ["ls"]}'), { code: 'BERTH_ESPEC', message: /^process\.json: process\.cwd must be an absolute path/ });
  assert.throws(() => parseProcess('{', 'p.json'), { code: 'BERTH_ESPEC', message: /^p\.json: invalid JSON/ });
});

test('the runc default config parses', () => {
  const text = JSON.stringify({
    ociVersion: '1.0.2-dev',
    process: { terminal: true, user: { uid: 0, gid: 0 }, args: ['sh'], env: ['PATH=/usr/bin', 'TERM=xterm'], cwd: '/',
      capabilities: { bounding: ['CAP_KILL'], effective: ['CAP_KILL'], permitted: ['CAP_KILL'], ambient: ['CAP_KILL'] },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }], noNewPrivileges: true },
    root: { path: 'rootfs', readonly: true },
    hostname: 'runc',
    mounts: [{ destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] }],
    linux: { resources: { devices: [{ allow: false, access: 'rwm' }] }, namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }],
      maskedPaths: ['/proc/acpi'], readonlyPaths: ['/proc/bus'] },
  });
  assert.equal(parseSpec(text, { bundle: '/b' }).root?.path, '/b/rootfs');
});
