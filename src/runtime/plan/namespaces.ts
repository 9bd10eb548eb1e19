// linux.namespaces → clone flags for new namespaces and an ordered list of setns() joins.
import type { LinuxNamespace, LinuxNamespaceType } from '../../oci/runtime-spec.js';
import type { NamespaceJoin } from './launch-plan.js';

/** CLONE_NEW* of <linux/sched.h>. */
export const CLONE_NEW: Readonly<Record<LinuxNamespaceType, bigint>> = {
  mount: 0x00020000n,
  cgroup: 0x02000000n,
  uts: 0x04000000n,
  ipc: 0x08000000n,
  user: 0x10000000n,
  pid: 0x20000000n,
  network: 0x40000000n,
  time: 0x00000080n,
};

/** The /proc/PID/ns/ file name of each type. */
export const NS_PROC_NAME: Readonly<Record<LinuxNamespaceType, string>> = {
  mount: 'mnt',
  cgroup: 'cgroup',
  uts: 'uts',
  ipc: 'ipc',
  user: 'user',
  pid: 'pid',
  network: 'net',
  time: 'time',
};

/**
 * The order joins happen in. The user namespace goes first because it grants the capabilities the
 * other setns() calls need when the target is owned by that user namespace. The mount namespace
 * goes last: once in it, the other paths (which name files in the runtime's mount namespace) may
 * no longer resolve.
 */
export const JOIN_ORDER: readonly LinuxNamespaceType[] = ['user', 'ipc', 'uts', 'network', 'pid', 'cgroup', 'time', 'mount'];

export interface ResolvedNamespaces {
  cloneFlags: bigint;
  joins: NamespaceJoin[];
  /** Types present at all (new or joined). */
  present: Set<LinuxNamespaceType>;
  /** Types created new. */
  created: Set<LinuxNamespaceType>;
}

export function resolveNamespaces(nss: readonly LinuxNamespace[] | undefined): ResolvedNamespaces {
  let cloneFlags = 0n;
  const present = new Set<LinuxNamespaceType>();
  const created = new Set<LinuxNamespaceType>();
  const joinPath = new Map<LinuxNamespaceType, string>();
  for (const ns of nss ?? []) {
    present.add(ns.type);
    if (ns.path) joinPath.set(ns.type, ns.path);
    else {
      created.add(ns.type);
      cloneFlags |= CLONE_NEW[ns.type];
    }
  }
  const joins: NamespaceJoin[] = [];
  for (const t of JOIN_ORDER) {
    const p = joinPath.get(t);
    if (p !== undefined) joins.push({ type: Number(CLONE_NEW[t]), path: p });
  }
  return { cloneFlags, joins, present, created };
}

/** exec: every namespace the container has, through its init's /proc entries, in JOIN_ORDER. */
export function execJoins(nss: readonly LinuxNamespace[] | undefined, pid: number): NamespaceJoin[] {
  const types = new Set((nss ?? []).map((n) => n.type));
  return JOIN_ORDER.filter((t) => types.has(t)).map((t) => ({ type: Number(CLONE_NEW[t]), path: `/proc/${pid}/ns/${NS_PROC_NAME[t]}` }));
}
