// The container rootfs: the snapshotter's mount descriptions carried out by the engine onto
// <bundle>/rootfs (the runtime then sees an ordinary directory, which runc needs as well). The
// mount stays while the container exists, so cp, diff and export work on a stopped container;
// rm unmounts it. After a reboot the mount is gone and ensureMounted makes it again.
import { isMountPoint, mountAt, unmountAll } from '../sys/mounts.js';
import type { Mount } from '../storage/snapshotter.js';

export { unmountAll };

export function isMounted(path: string): boolean {
  return isMountPoint(path);
}

export async function mountRootfs(mounts: Mount[], target: string): Promise<void> {
  await mountAt(mounts, target, { what: 'mount rootfs' });
}
