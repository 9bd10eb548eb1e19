// Where the network layer keeps its files. Persistent state (records in berth.db, conflists,
// IPAM leases, the CNI result cache) lives under the storage root so DEL can still release a
// lease after a reboot; namespaces and DNS daemons live under the run root (tmpfs), because
// they do not survive a reboot either.
import { join } from 'node:path';

export interface NetworkContext {
  /** Storage root (berth.db, conflists, leases, CNI cache). */
  root: string;
  /** Run root (netns files, DNS daemon state). */
  runRoot: string;
  /** Where the CNI plugins are; default DEFAULT_PLUGIN_DIRS. */
  pluginDirs?: string[];
  /** The default network's bridge (default "berth0"); tests use berthtest* names. */
  defaultBridge?: string;
  /** Pool that automatic subnets are cut from (default DEFAULT_SUBNET_POOL). */
  subnetPool?: string;
  /** Per-plugin timeout. */
  timeoutMs?: number;
}

export const networksDir = (root: string): string => join(root, 'networks');
export const conflistPath = (root: string, name: string): string => join(networksDir(root), `${name}.conflist`);
/** host-local keeps one directory per network name below this. */
export const ipamDir = (root: string): string => join(networksDir(root), 'ipam');
export const cniCacheDir = (root: string): string => join(networksDir(root), 'cni-cache');

export const netnsDir = (runRoot: string): string => join(runRoot, 'netns');
/** The network namespace file of a container: what `--network container:X` joins. */
export const netnsPathOf = (runRoot: string, containerId: string): string => join(netnsDir(runRoot), containerId);

export const dnsStateDir = (runRoot: string, network: string): string => join(runRoot, 'networks', network);
export const dnsRecordsPath = (runRoot: string, network: string): string => join(dnsStateDir(runRoot, network), 'dns.json');
export const dnsPidPath = (runRoot: string, network: string): string => join(dnsStateDir(runRoot, network), 'dns.pid');
export const dnsLogPath = (runRoot: string, network: string): string => join(dnsStateDir(runRoot, network), 'dns.log');
