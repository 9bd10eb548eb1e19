// Paths inside a rootfs that never lead out of it, and the users and groups of its own
// /etc/passwd and /etc/group. Symlinks are followed by hand, absolute targets restart at the root
// and ".." stops there (openat2's RESOLVE_IN_ROOT, in userspace). The engine (cp, -u, workdirs)
// and the builder (COPY, USER, --chown) both use these; each passes the error code it reports.
// A race with a process inside the container swapping a component for a symlink is narrowed, not
// closed: callers that write open the final component with O_NOFOLLOW.
import { lstatSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { BerthError, type ErrorCode } from '../errors.js';

const MAX_LINKS = 40;

export interface InRoot {
  /** Host path of the resolved location. */
  host: string;
  /** Components below the root after following symlinks. */
  rel: string[];
  /** The same location as seen inside (always absolute, normalized). */
  inside: string;
  exists: boolean;
}

export interface ResolveOptions {
  /** Follow a final symlink (default true); cp copies the link itself, as docker does. */
  followLast?: boolean;
  /** A component that must be a directory and is not is an error (else: the path does not exist). */
  strictDirs?: boolean;
  /** The code of the errors thrown (default BERTH_EINVAL). */
  code?: ErrorCode;
}

export function pathComponents(path: string): string[] {
  return path.split('/').filter((c) => c !== '' && c !== '.');
}

function at(root: string, done: string[], exists: boolean): InRoot {
  return { host: join(root, ...done), rel: done, inside: '/' + done.join('/'), exists };
}

/** Resolves `path` (as seen inside) under `root`. */
export function resolveInRoot(root: string, path: string, opts: ResolveOptions = {}): InRoot {
  const followLast = opts.followLast ?? true;
  const code = opts.code ?? 'BERTH_EINVAL';
  let pending = pathComponents(path);
  const done: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const c = pending.shift()!;
    if (c === '..') {
      done.pop();
      continue;
    }
    let st;
    try {
      st = lstatSync(join(root, ...done, c));
    } catch (e) {
      const errno = (e as NodeJS.ErrnoException).code;
      if (errno !== 'ENOENT' && errno !== 'ENOTDIR') throw e;
      // Nothing more to follow: the rest is taken literally (still under root, ".." clamped).
      for (const r of [c, ...pending]) if (r === '..') done.pop(); else done.push(r);
      return at(root, done, false);
    }
    if (st.isSymbolicLink() && (pending.length > 0 || followLast)) {
      if (++links > MAX_LINKS) throw new BerthError(code, `too many levels of symbolic links in ${path}`);
      const target = readlinkSync(join(root, ...done, c));
      if (target.startsWith('/')) done.length = 0;
      pending = [...pathComponents(target), ...pending];
      continue;
    }
    if (opts.strictDirs === true && pending.length > 0 && !st.isDirectory()) {
      throw new BerthError(code, `${path}: /${[...done, c].join('/')} is not a directory`);
    }
    done.push(c);
  }
  return at(root, done, true);
}

/** The rows of a colon-separated database inside the root (/etc/passwd, /etc/group); none if absent. */
export function readIdTable(rootfs: string, file: string): string[][] {
  const r = resolveInRoot(rootfs, file);
  if (!r.exists) return [];
  try {
    return readFileSync(r.host, 'utf8').split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((l) => l.split(':'));
  } catch {
    return [];
  }
}

export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  home: string;
}

const isId = (s: string): boolean => /^\d+$/.test(s);

/** A group name or id, by the root's /etc/group. */
export function lookupGroup(rootfs: string, group: string, code: ErrorCode, context = ''): number {
  const row = readIdTable(rootfs, '/etc/group').find((g) => (isId(group) ? g[2] === group : g[0] === group));
  if (row !== undefined && isId(row[2] ?? '')) return Number(row[2]);
  if (isId(group)) return Number(group);
  throw new BerthError(code, `unable to find group ${group}: no matching entries in group file${context}`);
}

/**
 * `user[:group]` with docker's rules: a number is used as is, a name must exist, the primary group
 * comes from passwd unless one is given, and supplementary groups only when it is not.
 */
export function resolveUserInRoot(rootfs: string, spec: string, code: ErrorCode, context = ''): ResolvedUser {
  const text = spec === '' ? 'root' : spec;
  const [userPart, groupPart] = text.split(':', 2) as [string, string | undefined];
  const entry = readIdTable(rootfs, '/etc/passwd').find((p) => (isId(userPart) ? p[2] === userPart : p[0] === userPart));
  if (entry === undefined && !isId(userPart)) throw new BerthError(code, `unable to find user ${userPart}: no matching entries in passwd file${context}`);
  const uid = Number(entry?.[2] ?? userPart);
  const forced = groupPart !== undefined && groupPart !== '';
  const gid = forced ? lookupGroup(rootfs, groupPart, code, context) : Number(entry?.[3] ?? 0);
  const name = entry?.[0];
  const additionalGids = name === undefined || forced ? [] : readIdTable(rootfs, '/etc/group')
    .filter((g) => (g[3] ?? '').split(',').includes(name) && isId(g[2] ?? '')).map((g) => Number(g[2])).filter((g) => g !== gid);
  for (const n of [uid, gid, ...additionalGids]) {
    if (!Number.isSafeInteger(n) || n < 0 || n > 0xfffffffe) throw new BerthError(code, `invalid user "${spec}"${context}`);
  }
  return { uid, gid, additionalGids, home: entry?.[5] || '/' };
}
