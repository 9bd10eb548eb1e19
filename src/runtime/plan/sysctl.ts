// linux.sysctl: a sysctl is only allowed when the container has its own instance of the namespace the
// key belongs to; anything else would change the host. The same rules as runc's validator.
import { BerthError } from '../../errors.js';
import type { LinuxNamespaceType } from '../../oci/runtime-spec.js';

const IPC_KEYS = new Set([
  'kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax',
  'kernel.shmmni', 'kernel.shm_rmid_forced',
]);

/** The namespace a key lives in, or undefined for host-wide keys. */
export function sysctlNamespace(key: string): LinuxNamespaceType | undefined {
  // "net/ipv4/ip_forward" is the same key as "net.ipv4.ip_forward".
  const k = key.includes('/') ? key.replaceAll('/', '.') : key;
  if (IPC_KEYS.has(k) || k.startsWith('fs.mqueue.')) return 'ipc';
  if (k.startsWith('net.')) return 'network';
  if (k === 'kernel.hostname' || k === 'kernel.domainname') return 'uts';
  return undefined;
}

export function sysctlOps(
  sysctl: Readonly<Record<string, string>> | undefined,
  present: ReadonlySet<LinuxNamespaceType>,
): { key: string; value: string }[] {
  const out: { key: string; value: string }[] = [];
  for (const key of Object.keys(sysctl ?? {})) {
    const ns = sysctlNamespace(key);
    if (ns === undefined) {
      throw new BerthError('BERTH_ESPEC', `config.json: linux.sysctl: "${key}" is not in a separate kernel namespace`);
    }
    if (!present.has(ns)) {
      throw new BerthError('BERTH_ESPEC', `config.json: linux.sysctl: "${key}" needs a ${ns} namespace`);
    }
    out.push({ key, value: sysctl![key]! });
  }
  return out;
}
