// Users and groups by name, from the build step's own /etc/passwd and /etc/group (read inside the
// rootfs, never the host's), for USER, RUN and COPY --chown, with Docker's rules (src/sys/in-root.ts).
import { BerthError } from '../../errors.js';
import { lookupGroup, readIdTable, resolveUserInRoot, type ResolvedUser } from '../../sys/in-root.js';

export type { ResolvedUser };

const isId = (s: string): boolean => /^[0-9]+$/.test(s);

/** `user[:group]` as USER and RUN use it. */
export function resolveUser(rootfs: string, spec: string): ResolvedUser {
  return resolveUserInRoot(rootfs, spec, 'BERTH_EBUILD', ` (USER ${spec})`);
}

/** `--chown=user[:group]`: a user without a group takes the user's primary group (or the same id). */
export function resolveChown(rootfs: string, spec: string): { uid: number; gid: number } {
  const [user = '', group] = spec.split(':', 2);
  let uid: number;
  let gid: number | undefined;
  if (isId(user)) {
    uid = Number(user);
    gid = group === undefined ? uid : undefined;
  } else {
    const row = readIdTable(rootfs, '/etc/passwd').find((p) => p[0] === user);
    if (row === undefined) throw new BerthError('BERTH_EBUILD', `unable to find user ${user}: no matching entries in passwd file (--chown=${spec})`);
    uid = Number(row[2]);
    gid = group === undefined ? Number(row[3]) : undefined;
  }
  if (group !== undefined && group !== '') gid = lookupGroup(rootfs, group, 'BERTH_EBUILD', ` (--chown=${spec})`);
  return { uid, gid: gid ?? uid };
}
