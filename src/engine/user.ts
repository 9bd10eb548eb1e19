// `-u` / the image's User → uid, gid and supplementary groups, read from the image's /etc/passwd
// and /etc/group resolved inside the rootfs (a symlinked /etc/passwd cannot point at the host's).
import { resolveUserInRoot, type ResolvedUser } from '../sys/in-root.js';

export type { ResolvedUser };

export function resolveUser(rootfs: string, spec: string): ResolvedUser {
  return resolveUserInRoot(rootfs, spec, 'BERTH_EINVAL');
}
