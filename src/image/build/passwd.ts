// Users and groups by name, from the build step's own /etc/passwd and /etc/group (read inside the
// rootfs, never the host's), for USER, RUN and COPY --chown, with Docker's rules: a number is used
// as is, a name must exist, and a user's primary group comes from passwd unless one is given.

import { readFileSync } from 'node:fs';
import { BerthError } from '../../errors.js';
import { resolveInRoot } from './in-root.js';

export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  home: string;
}

function readTable(rootfs: string, file: string): string[][] {
  const r = resolveInRoot(rootfs, file);
  if (!r.exists) return [];
  try {
    return readFileSync(r.host, 'utf8').split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((l) => l.split(':'));
  } catch {
    return [];
  }
}

const isId = (s: string): boolean => /^[0-9]+$/.test(s);

function groupId(rootfs: string, group: string, what: string): number {
  if (isId(group)) return Number(group);
  const row = readTable(rootfs, '/etc/group').find((g) => g[0] === group);
  if (row === undefined || !isId(row[2] ?? '')) throw new BerthError('BERTH_EBUILD', `unable to find group ${group}: no matching entries in group file (${what})`);
  return Number(row[2]);
}

/** `user[:group]` as USER and RUN use it. */
export function resolveUser(rootfs: string, spec: string): ResolvedUser {
  const [user = '', group] = spec.split(':', 2);
  const passwd = readTable(rootfs, '/etc/passwd');
  const row = passwd.find((p) => (isId(user) ? p[2] === user : p[0] === user));
  if (row === undefined && !isId(user)) throw new BerthError('BERTH_EBUILD', `unable to find user ${user}: no matching entries in passwd file`);
  const uid = isId(user) ? Number(user) : Number(row![2]);
  const gid = group !== undefined && group !== '' ? groupId(rootfs, group, `USER ${spec}`) : row !== undefined && isId(row[3] ?? '') ? Number(row[3]) : 0;
  const name = row?.[0];
  const additionalGids = name === undefined || group !== undefined ? [] : readTable(rootfs, '/etc/group')
    .filter((g) => (g[3] ?? '').split(',').includes(name) && isId(g[2] ?? '')).map((g) => Number(g[2])).filter((g) => g !== gid);
  return { uid, gid, additionalGids, home: row?.[5] || '/' };
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
    const row = readTable(rootfs, '/etc/passwd').find((p) => p[0] === user);
    if (row === undefined) throw new BerthError('BERTH_EBUILD', `unable to find user ${user}: no matching entries in passwd file (--chown=${spec})`);
    uid = Number(row[2]);
    gid = group === undefined ? Number(row[3]) : undefined;
  }
  if (group !== undefined && group !== '') gid = groupId(rootfs, group, `--chown=${spec}`);
  return { uid, gid: gid ?? uid };
}
