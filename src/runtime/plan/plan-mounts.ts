// spec.mounts → MountOps, in the spec's order.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BerthError } from '../../errors.js';
import type { Mount } from '../../oci/runtime-spec.js';
import { detectHostCgroups, expandCgroupMount, type HostCgroups } from './cgroup-mount.js';
import type { IdMapping, MountOp, UsernsHolder } from './launch-plan.js';
import { bindRemountFlags, MS, parseMountOptions } from '../../sys/mount-options.js';

export interface MountSeams {
  /** Host cgroup layout; detected from /proc/self/mountinfo when a cgroup mount needs it. */
  hostCgroups?: HostCgroups;
  /** v1 hierarchy name (as under /sys/fs/cgroup) → the container's cgroup path in it. */
  cgroupPaths?: Readonly<Record<string, string>>;
  /** What a bind source is; undefined when it does not exist. Defaults to stat(2). */
  statSource?: (p: string) => 'dir' | 'file' | undefined;
}

export interface ResolvedMounts {
  mounts: MountOp[];
  symlinks: { target: string; path: string }[];
  /** Paths to make read-only after devices and symlinks are in place. */
  lateReadonly: string[];
  /** The spec binds something onto /dev, so the runtime leaves /dev alone (as runc does). */
  devIsBound: boolean;
}

// What runc lets a spec mount inside /proc: files that tools like lxcfs overlay. Anything else there
// could shadow /proc/self/attr, /proc/sys or the masked paths.
const PROC_MOUNT_ALLOWED = new Set([
  '/proc/cpuinfo', '/proc/diskstats', '/proc/meminfo', '/proc/stat', '/proc/swaps', '/proc/uptime',
  '/proc/loadavg', '/proc/slabinfo', '/proc/net/dev', '/proc/sys/kernel/ns_last_pid',
]);

/** The user namespaces that id-mapped mounts need; mounts with equal maps share one. */
export class IdmapHolders {
  readonly holders: UsernsHolder[] = [];

  /** The maps of the container's new user namespace, the default of "idmap" without mappings. */
  constructor(readonly containerMaps: UsernsHolder | undefined) {}

  /** 1-based, as native/plan.h numbers them. */
  holderFor(maps: UsernsHolder): number {
    const key = JSON.stringify(maps);
    const found = this.holders.findIndex((h) => JSON.stringify(h) === key);
    if (found >= 0) return found + 1;
    this.holders.push(maps);
    return this.holders.length;
  }
}

const plainMaps = (ms: readonly IdMapping[] | undefined): IdMapping[] =>
  (ms ?? []).map((x) => ({ containerID: x.containerID, hostID: x.hostID, size: x.size }));

function idmapHolder(i: number, m: Mount, holders: IdmapHolders): number {
  const uid = plainMaps(m.uidMappings);
  const gid = plainMaps(m.gidMappings);
  if (uid.length === 0 && gid.length === 0) {
    // runc's rule: "idmap" without mappings takes the container's own.
    if (!holders.containerMaps) throw mountError(i, m, '"idmap" without uidMappings/gidMappings needs a new user namespace with mappings');
    return holders.holderFor(holders.containerMaps);
  }
  if (uid.length === 0 || gid.length === 0) throw mountError(i, m, 'an id-mapped mount needs both uidMappings and gidMappings');
  return holders.holderFor({ uidMappings: uid, gidMappings: gid });
}

function defaultStat(p: string): 'dir' | 'file' | undefined {
  try {
    return fs.statSync(p).isDirectory() ? 'dir' : 'file';
  } catch {
    return undefined;
  }
}

function mountError(i: number, m: Mount, what: string, code: 'BERTH_ESPEC' | 'BERTH_EUNSUPPORTED' = 'BERTH_ESPEC'): BerthError {
  return new BerthError(code, `config.json: mounts[${i}] (${m.destination}): ${what}`);
}

export function resolveMounts(
  specMounts: readonly Mount[] | undefined,
  ctx: { bundle: string; newCgroupNs: boolean; seams: MountSeams; idmap: IdmapHolders; sysfsAsBind?: boolean },
  warnings: string[],
): ResolvedMounts {
  const out: ResolvedMounts = { mounts: [], symlinks: [], lateReadonly: [], devIsBound: false };
  const stat = ctx.seams.statSource ?? defaultStat;
  let hostCg = ctx.seams.hostCgroups;
  (specMounts ?? []).forEach((m, i) => {
    // "/dev/" and "/proc/../dev" are /dev for the rules below.
    const dest = path.posix.normalize(m.destination).replace(/(.)\/+$/, '$1');
    const o = parseMountOptions(m.options);
    if (o.recursive.length > 0) throw mountError(i, m, `mount option "${o.recursive[0]}" is not supported yet`, 'BERTH_EUNSUPPORTED');
    const idmapped = o.runtime.includes('idmap') || o.runtime.includes('ridmap') || Boolean(m.uidMappings?.length || m.gidMappings?.length);
    if (o.runtime.includes('tmpcopyup')) warnings.push(`mounts[${i}] (${dest}): "tmpcopyup" is not supported; the tmpfs starts empty`);
    if (o.propagation.length > 1) warnings.push(`mounts[${i}] (${dest}): several propagation options; the last one applies`);
    const propagation = o.propagation.at(-1) ?? 0n;
    const type = m.type ?? '';
    const isBind = type === 'bind' || (o.flags & MS.BIND) !== 0n;

    if (dest.startsWith('/proc/') && !(isBind && PROC_MOUNT_ALLOWED.has(dest))) {
      throw mountError(i, m, 'cannot be mounted because it is inside /proc');
    }

    if (isBind) {
      if (!m.source) throw mountError(i, m, 'a bind mount needs a source');
      const source = path.resolve(ctx.bundle, m.source);
      const kind = stat(source);
      if (kind === undefined) throw mountError(i, m, `bind source "${source}" does not exist`);
      const flags = o.flags | MS.BIND;
      if (dest === '/dev') out.devIsBound = true;
      const op: MountOp = {
        source, target: dest, fstype: '', flags, propagation, data: o.data,
        remountFlags: bindRemountFlags(flags), targetKind: kind,
      };
      if (idmapped) op.idmap = { holder: idmapHolder(i, m, ctx.idmap), recursive: o.runtime.includes('ridmap') };
      out.mounts.push(op);
      return;
    }
    if (idmapped) throw mountError(i, m, 'only bind mounts can be id-mapped');
    if (type === '' || type === 'none') throw mountError(i, m, 'type is required unless the mount is a bind mount');
    if (type === 'cgroup') {
      hostCg ??= detectHostCgroups();
      const cg = expandCgroupMount({ destination: dest, flags: o.flags, data: o.data }, hostCg, {
        newCgroupNs: ctx.newCgroupNs,
        ...(ctx.seams.cgroupPaths ? { cgroupPaths: ctx.seams.cgroupPaths } : {}),
      });
      out.mounts.push(...cg.mounts);
      out.symlinks.push(...cg.symlinks);
      out.lateReadonly.push(...cg.readonlyPaths);
      return;
    }
    if (type === 'sysfs' && ctx.sysfsAsBind === true) {
      // A new user namespace does not own a network namespace it joins, and the kernel lets only
      // the owner mount sysfs: the host's /sys is bound instead, as runc does.
      const flags = o.flags | MS.BIND | MS.REC;
      out.mounts.push({ source: '/sys', target: dest, fstype: '', flags, propagation, data: '', remountFlags: bindRemountFlags(flags), targetKind: 'dir' });
      return;
    }
    let flags = o.flags;
    // Devices are created in /dev after the mounts; a read-only /dev becomes read-only after that.
    if (dest === '/dev' && (flags & MS.RDONLY) !== 0n) {
      flags &= ~MS.RDONLY;
      out.lateReadonly.push(dest);
    }
    out.mounts.push({
      source: m.source ?? type, target: dest, fstype: type, flags, propagation, data: o.data,
      remountFlags: 0n, targetKind: 'dir',
    });
  });
  return out;
}
