// Capability names (capabilities(7)) → bit masks for capset(2)/PR_CAPBSET_DROP/PR_CAP_AMBIENT.
import type { LinuxCapabilities } from '../../oci/runtime-spec.js';
import type { CapabilitySets } from './launch-plan.js';

/** Index = capability number (<linux/capability.h>). */
export const CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID',
  'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN',
  'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE', 'CAP_SYS_PACCT', 'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
] as const;

export const CAP_LAST_CAP = CAPABILITIES.length - 1;

const CAP_NUMBER: ReadonlyMap<string, number> = new Map(CAPABILITIES.map((n, i) => [n, i]));

export function capabilityNumber(name: string): number | undefined {
  return CAP_NUMBER.get(name);
}

const SETS = ['bounding', 'effective', 'inheritable', 'permitted', 'ambient'] as const;

/** Unknown names are skipped with a warning, as runc does: a config written for a newer kernel still
 * runs, minus the capability this kernel would not have granted anyway. */
export function capabilitySets(caps: LinuxCapabilities | undefined, warnings: string[]): CapabilitySets {
  const out: CapabilitySets = { bounding: 0n, effective: 0n, inheritable: 0n, permitted: 0n, ambient: 0n };
  const unknown = new Set<string>();
  for (const set of SETS) {
    let mask = 0n;
    for (const name of caps?.[set] ?? []) {
      const n = CAP_NUMBER.get(name);
      if (n === undefined) unknown.add(name);
      else mask |= 1n << BigInt(n);
    }
    out[set] = mask;
  }
  // The kernel refuses to raise an ambient capability that is not both permitted and inheritable;
  // runc ignores that failure, so a spec like `runc spec`'s (ambient without inheritable) must run.
  out.ambient &= out.inheritable & out.permitted;
  if (unknown.size > 0) warnings.push(`ignoring unknown or unavailable capabilities: ${[...unknown].join(', ')}`);
  return out;
}
