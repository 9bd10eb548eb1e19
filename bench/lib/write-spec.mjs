#!/usr/bin/env node
// Writes a minimal runc-style config.json for the benchmarks.
// Usage: write-spec.mjs OUT_FILE ROOTFS CGROUPS_PATH ARG...
import { writeFileSync } from 'node:fs';

const [out, rootfs, cgroupsPath, ...args] = process.argv.slice(2);
if (!out || !rootfs || !cgroupsPath || args.length === 0) {
  console.error('usage: write-spec.mjs OUT_FILE ROOTFS CGROUPS_PATH ARG...');
  process.exit(2);
}
const caps = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];
const spec = {
  ociVersion: '1.0.2',
  process: {
    terminal: false,
    user: { uid: 0, gid: 0 },
    args,
    env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
    cwd: '/',
    capabilities: { bounding: caps, effective: caps, permitted: caps, ambient: caps },
    rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
    noNewPrivileges: true,
  },
  // The rootfs is shared by every runtime and run, so nobody may write to it.
  root: { path: rootfs, readonly: true },
  hostname: 'bench',
  mounts: [
    { destination: '/proc', type: 'proc', source: 'proc' },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
  ],
  linux: {
    cgroupsPath,
    namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }],
    maskedPaths: ['/proc/kcore', '/proc/keys', '/proc/timer_list', '/sys/firmware'],
    readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
  },
};
writeFileSync(out, JSON.stringify(spec, null, 2));
