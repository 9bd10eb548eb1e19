// "Map root to an unprivileged range": the engine-facing option that runs a container's root as an
// unprivileged host uid. The range comes from /etc/subuid and /etc/subgid when the host has them
// (as for podman), else from DEFAULT_USERNS_RANGE. The rootfs stays usable either by an id-mapped
// mount (the kernel and the rootfs's filesystem must support it: probed once per filesystem) or,
// failing that, by shifting the owners of a private rootfs copy (chown -R, as runc users do).
import { chmodSync, lchownSync, lstatSync, readdirSync, readFileSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { BerthError } from '../errors.js';
import type { Spec } from '../oci/runtime-spec.js';
import { launchHelper } from './launch/launch-helper.js';
import { ROOTFS_IDMAP_ANNOTATION } from './plan/build-plan.js';
import type { LaunchPlan } from './plan/launch-plan.js';

export interface SubIdRange {
  start: number;
  count: number;
}

export interface UserNamespaceRange {
  uid: SubIdRange;
  gid: SubIdRange;
  /** Where the range came from. */
  source: 'subid' | 'default';
}

/** Used when the host has no subordinate ids for the user: above the ids distributions hand out to
 * people (1000..60000) and the 65534 of nobody, and the default first range of useradd. */
export const DEFAULT_USERNS_RANGE: Readonly<SubIdRange> = { start: 100000, count: 65536 };

/** The ranges of `user` (a name, or a numeric uid as text) in /etc/subuid or /etc/subgid text
 * (`name:start:count` per line), in file order. Malformed lines are skipped, as shadow-utils does. */
export function parseSubIdFile(text: string, user: string): SubIdRange[] {
  const out: SubIdRange[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [name, start, count, ...rest] = line.split(':');
    if (rest.length > 0 || name !== user || !/^\d+$/.test(start ?? '') || !/^\d+$/.test(count ?? '')) continue;
    const r = { start: Number(start), count: Number(count) };
    if (r.count > 0 && r.start + r.count <= 2 ** 32) out.push(r);
  }
  return out;
}

/** Every well-formed range of a subordinate id file, whoever it belongs to. */
function allRanges(text: string | undefined): SubIdRange[] {
  const out: SubIdRange[] = [];
  for (const line of (text ?? '').split('\n')) {
    const [name] = line.trim().split(':');
    if (name !== undefined && name !== '' && !name.startsWith('#')) out.push(...parseSubIdFile(line, name));
  }
  return out;
}

export interface AllocateOptions {
  user?: string;
  size?: number;
  subuidPath?: string;
  subgidPath?: string;
  /** Seam for tests; undefined means the file does not exist. */
  readFile?: (path: string) => string | undefined;
}

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/**
 * The host ids that container ids 0..size-1 map to. With /etc/subuid and /etc/subgid present the
 * user must have a range of at least `size` in both (the first that fits); without them, the
 * documented default. Every container of the user shares the range, as with podman's default.
 */
export function allocateUserNamespaceRange(opts: AllocateOptions = {}): UserNamespaceRange {
  const user = opts.user ?? 'berth';
  const size = opts.size ?? 65536;
  if (!Number.isInteger(size) || size < 1) throw new BerthError('BERTH_EINVAL', `user namespace size ${size}: want a positive integer`);
  const read = opts.readFile ?? readIfExists;
  const subuid = read(opts.subuidPath ?? '/etc/subuid');
  const subgid = read(opts.subgidPath ?? '/etc/subgid');
  if (subuid === undefined && subgid === undefined) {
    if (size > DEFAULT_USERNS_RANGE.count) throw new BerthError('BERTH_EINVAL', `user namespace size ${size} exceeds the default range of ${DEFAULT_USERNS_RANGE.count}`);
    return { uid: { start: DEFAULT_USERNS_RANGE.start, count: size }, gid: { start: DEFAULT_USERNS_RANGE.start, count: size }, source: 'default' };
  }
  const fits = (text: string | undefined): SubIdRange | undefined => parseSubIdFile(text ?? '', user).find((r) => r.count >= size);
  const uidFit = fits(subuid);
  const gidFit = fits(subgid);
  if (uidFit !== undefined && gidFit !== undefined) {
    return { uid: { start: uidFit.start, count: size }, gid: { start: gidFit.start, count: size }, source: 'subid' };
  }
  // No range for this user (the files may exist but be empty, as Debian's uidmap leaves them): the
  // default range, unless the files give any of its ids to someone else.
  const def = { start: DEFAULT_USERNS_RANGE.start, count: size };
  const taken = [...allRanges(subuid), ...allRanges(subgid)].some((r) => r.start < def.start + def.count && def.start < r.start + r.count);
  if (size <= DEFAULT_USERNS_RANGE.count && !taken) return { uid: def, gid: def, source: 'default' };
  const file = uidFit === undefined ? opts.subuidPath ?? '/etc/subuid' : opts.subgidPath ?? '/etc/subgid';
  throw new BerthError('BERTH_EINVAL', `${file}: no range of ${size} ids for user "${user}" (add a line ${user}:START:${size} to /etc/subuid and /etc/subgid)`);
}

export type RootfsStrategy = 'idmap' | 'chown';

/**
 * The spec with root mapped to `range`: a new user namespace, its maps, and for 'idmap' the
 * annotation that makes berth-runtime bind the rootfs onto itself id-mapped before pivot_root.
 * For 'chown' the caller shifts the rootfs copy with chownRootfs(). Pure.
 */
export function userNamespacedSpec(spec: Spec, range: UserNamespaceRange, rootfs: RootfsStrategy): Spec {
  const out = structuredClone(spec);
  const linux = (out.linux ??= {});
  const nss = (linux.namespaces ??= []).filter((n) => n.type !== 'user');
  linux.namespaces = [...nss, { type: 'user' }];
  linux.uidMappings = [{ containerID: 0, hostID: range.uid.start, size: range.uid.count }];
  linux.gidMappings = [{ containerID: 0, hostID: range.gid.start, size: range.gid.count }];
  const annotations = { ...(out.annotations ?? {}) };
  if (rootfs === 'idmap') annotations[ROOTFS_IDMAP_ANNOTATION] = 'true';
  else delete annotations[ROOTFS_IDMAP_ANNOTATION];
  out.annotations = annotations;
  return out;
}

/** chown -R of a private rootfs copy into the range: id n becomes start+n (ids past the range are
 * left as they are: nobody inside can own them anyway). chown clears set-id bits, so they are put back. */
export function chownRootfs(dir: string, range: UserNamespaceRange): void {
  const shift = (id: number, r: SubIdRange): number => (id < r.count ? r.start + id : id);
  const walk = (p: string): void => {
    const st = lstatSync(p);
    lchownSync(p, shift(st.uid, range.uid), shift(st.gid, range.gid));
    if (!st.isSymbolicLink() && (st.mode & 0o6000) !== 0) chmodSync(p, st.mode & 0o7777);
    if (st.isDirectory()) for (const name of readdirSync(p)) walk(join(p, name));
  };
  walk(dir);
}

const probed = new Map<string, boolean>();

/**
 * Whether an id-mapped mount of `rootfs` works here: the kernel (5.12+) and the filesystem must
 * both support it (overlayfs, for one, does not id-map its own mounts). Asked of the kernel by
 * launching the helper with an id-mapped rootfs and a program that does not exist: failing at
 * "exec" means every step before it, the id-mapped mount included, worked. Cached per filesystem.
 */
export async function rootfsSupportsIdmap(rootfs: string): Promise<boolean> {
  const fsType = statfsSync(rootfs).type;
  const key = `${fsType}`;
  const known = probed.get(key);
  if (known !== undefined) return known;
  const map = [{ containerID: 0, hostID: DEFAULT_USERNS_RANGE.start, size: 1 }];
  const plan: LaunchPlan = {
    mode: 'create', foreground: true, cloneFlags: 0x00020000n /* CLONE_NEWNS */, joinNamespaces: [], waitForGo: false, loopbackUp: false,
    runHooks: false, usernsHolders: [{ uidMappings: map, gidMappings: map }], rootfsIdmap: 1, rootfs,
    rootfsReadonly: false, rootfsPropagation: 0n, noPivot: false, mounts: [], devices: [], symlinks: [],
    maskedPaths: [], readonlyPaths: [], sysctls: [], rlimits: [], noNewPrivileges: false,
    user: { uid: 0, gid: 0, additionalGids: [] }, setgroups: true, cwd: '/', env: [],
    args: ['/.berth-idmap-probe-does-not-exist'], terminal: false, preserveFds: 0, syncFd: 3, startHooks: [],
  };
  let ok: boolean;
  try {
    await launchHelper(plan, { stdio: ['ignore', 'ignore', 'ignore'] });
    ok = true;
  } catch (e) {
    const step = e instanceof BerthError ? e.detail?.['step'] : undefined;
    ok = step === 'exec';
  }
  probed.set(key, ok);
  return ok;
}

/** userNamespacedSpec with the rootfs strategy chosen by rootfsSupportsIdmap(); with 'chown' the
 * rootfs (which must be the container's private copy) is shifted here. */
export async function mapRootToUnprivilegedRange(spec: Spec, rootfs: string, range: UserNamespaceRange = allocateUserNamespaceRange()): Promise<{ spec: Spec; rootfs: RootfsStrategy }> {
  const strategy: RootfsStrategy = (await rootfsSupportsIdmap(rootfs)) ? 'idmap' : 'chown';
  if (strategy === 'chown') chownRootfs(rootfs, range);
  return { spec: userNamespacedSpec(spec, range, strategy), rootfs: strategy };
}
