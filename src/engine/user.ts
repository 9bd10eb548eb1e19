// `-u` / the image's User → uid, gid and supplementary groups, read from the image's /etc/passwd
// and /etc/group resolved inside the rootfs (a symlinked /etc/passwd cannot point at the host's).
import { readFileSync } from 'node:fs';
import { BerthError } from '../errors.js';
import { resolveInRoot } from './inroot.js';

export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  home: string;
}

function readDb(rootfs: string, file: string): string[][] {
  const r = resolveInRoot(rootfs, file);
  if (!r.exists) return [];
  try {
    return readFileSync(r.host, 'utf8').split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((l) => l.split(':'));
  } catch {
    return [];
  }
}

const isNum = (s: string): boolean => /^\d+$/.test(s);

export function resolveUser(rootfs: string, spec: string): ResolvedUser {
  const text = spec === '' ? 'root' : spec;
  const [userPart, groupPart] = text.split(':', 2) as [string, string | undefined];
  const passwd = readDb(rootfs, '/etc/passwd');
  const group = readDb(rootfs, '/etc/group');
  let uid: number;
  let gid = 0;
  let name: string | undefined;
  let home = '/';
  const entry = passwd.find((p) => (isNum(userPart) ? p[2] === userPart : p[0] === userPart));
  if (entry !== undefined) {
    uid = Number(entry[2]);
    gid = Number(entry[3] ?? 0);
    name = entry[0];
    home = entry[5] || '/';
  } else if (isNum(userPart)) {
    uid = Number(userPart);
  } else {
    throw new BerthError('BERTH_EINVAL', `unable to find user ${userPart}: no matching entries in passwd file`);
  }
  if (groupPart !== undefined && groupPart !== '') {
    const g = group.find((x) => (isNum(groupPart) ? x[2] === groupPart : x[0] === groupPart));
    if (g !== undefined) gid = Number(g[2]);
    else if (isNum(groupPart)) gid = Number(groupPart);
    else throw new BerthError('BERTH_EINVAL', `unable to find group ${groupPart}: no matching entries in group file`);
  }
  // Supplementary groups only when the group was not forced, as docker does.
  const additionalGids =
    name === undefined || (groupPart !== undefined && groupPart !== '')
      ? []
      : group.filter((g) => (g[3] ?? '').split(',').includes(name!)).map((g) => Number(g[2])).filter((g) => g !== gid);
  for (const n of [uid, gid, ...additionalGids]) {
    if (!Number.isSafeInteger(n) || n < 0 || n > 0xfffffffe) throw new BerthError('BERTH_EINVAL', `invalid user "${spec}"`);
  }
  return { uid, gid, additionalGids, home };
}
