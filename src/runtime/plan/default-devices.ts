// The devices and /dev symlinks every container gets (config-linux.md "Default Devices",
// runtime-linux.md "Dev symbolic links"), merged with linux.devices.
import type { LinuxDevice } from '../../oci/runtime-spec.js';
import type { DeviceOp } from './launch-plan.js';

export interface DefaultDevice {
  path: string;
  type: 'c';
  major: number;
  minor: number;
}

/** /dev/console is not here: it exists only with a terminal, and the helper binds the pty onto it. */
export const DEFAULT_DEVICES: readonly DefaultDevice[] = [
  { path: '/dev/null', type: 'c', major: 1, minor: 3 },
  { path: '/dev/zero', type: 'c', major: 1, minor: 5 },
  { path: '/dev/full', type: 'c', major: 1, minor: 7 },
  { path: '/dev/random', type: 'c', major: 1, minor: 8 },
  { path: '/dev/urandom', type: 'c', major: 1, minor: 9 },
  { path: '/dev/tty', type: 'c', major: 5, minor: 0 },
];

/** target → link path. /dev/ptmx must be the container's own devpts instance, never the host's
 * ptmx, so it is a symlink and a device at that path is dropped. */
export function defaultSymlinks(hostHasKcore: boolean): { target: string; path: string }[] {
  const links = [
    { target: '/proc/self/fd', path: '/dev/fd' },
    { target: '/proc/self/fd/0', path: '/dev/stdin' },
    { target: '/proc/self/fd/1', path: '/dev/stdout' },
    { target: '/proc/self/fd/2', path: '/dev/stderr' },
    { target: 'pts/ptmx', path: '/dev/ptmx' },
  ];
  // runc links /dev/core only when the kernel has CONFIG_PROC_KCORE.
  if (hostHasKcore) links.push({ target: '/proc/kcore', path: '/dev/core' });
  return links;
}

/** Defaults first, then linux.devices; a spec device replaces a default at the same path (runc does
 * the same), and a later spec device replaces an earlier one. */
export function resolveDevices(
  specDevices: readonly LinuxDevice[] | undefined,
  opts: { bindFromHost: boolean },
  warnings: string[],
): DeviceOp[] {
  const byPath = new Map<string, DeviceOp>();
  for (const d of DEFAULT_DEVICES) {
    byPath.set(d.path, { ...d, mode: 0o666, uid: 0, gid: 0, bindFromHost: opts.bindFromHost });
  }
  for (const d of specDevices ?? []) {
    if (d.path === '/dev/ptmx') {
      warnings.push('linux.devices: /dev/ptmx is ignored; it is a symlink to the container\'s pts/ptmx');
      continue;
    }
    byPath.delete(d.path); // keeps a replaced default in the spec's position, not the default's
    byPath.set(d.path, {
      path: d.path,
      type: d.type,
      major: d.type === 'p' ? 0 : (d.major ?? 0),
      minor: d.type === 'p' ? 0 : (d.minor ?? 0),
      // The spec's fileMode may carry S_IFMT bits (Go's os.FileMode does); only permissions are ours.
      mode: d.fileMode === undefined ? 0o666 : d.fileMode & 0o7777,
      uid: d.uid ?? 0,
      gid: d.gid ?? 0,
      // A FIFO is made with mkfifo even in a user namespace; there is no host node to bind.
      bindFromHost: opts.bindFromHost && d.type !== 'p',
    });
  }
  return [...byPath.values()];
}
