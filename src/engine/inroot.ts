// Path resolution inside a container's rootfs that never leaves it (src/sys/in-root.ts), with the
// engine's error code. Used for cp, the image's /etc/passwd, and workdirs.
import { resolveInRoot as resolve, type InRoot } from '../sys/in-root.js';

export type { InRoot };

/** With followLast=false a final symlink is not followed (cp copies the link itself, as docker does). */
export function resolveInRoot(root: string, path: string, opts: { followLast?: boolean } = {}): InRoot {
  return resolve(root, path, { ...opts, code: 'BERTH_EINVAL' });
}
