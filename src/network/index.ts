// berth's network layer: CNI invocation, network namespaces, bridge network configuration and
// the per-network DNS server. The engine imports from here only.
export * from './cni/index.js';
export { createNetns, deleteNetns, execInNetns, isNetns, DEFAULT_NETNS_DIR, type NetnsOptions } from './netns.js';
export {
  generateConfList, validateSubnet, pickSubnet, readHostRoutes, parseIpRouteJson, parseProcNetRoute,
  DEFAULT_SUBNET_POOL, DEFAULT_SUBNET_PREFIX, type NetworkRecord, type ConflistOptions, type PickOptions,
} from './conflist.js';
export { DnsServer, DnsRecords, hostUpstreams, type DnsServerOptions, type RecordEntry } from './dns/index.js';

// Networks, attachments and published ports: what the engine and the CLI use.
export {
  attachContainer, detachContainer, connectNetwork, disconnectNetwork, reconcileNetworks, containerNetworks, netnsPathOf,
  type AttachOptions, type AttachResult, type AttachedInterface, type NetworkRequest, type DetachOptions, type DetachResult,
  type ConnectOptions, type ReconcileResult,
} from './attach.js';
export {
  createNetwork, ensureDefaultNetwork, resolveNetwork, removeNetwork, pruneNetworks, inspectNetwork, conflistFor,
  BRIDGE_NAME_OPTION, type CreateNetworkOptions, type DockerNetworkInspect,
} from './networks.js';
export { listNetworks, getNetwork, networkDb, DEFAULT_NETWORK, DEFAULT_BRIDGE, type NetworkInfo, type AttachmentInfo } from './store.js';
export { parsePublish, publishAll, resolvePorts, formatPort, type PortSpec } from './ports.js';
export { parseNetworkBandwidth, parseRate, parseBurst, defaultBurst } from './bandwidth.js';
export { hostsFile, resolvConf, readHostResolvConf, parseAddHost, DNS_SEARCH_DOMAIN } from './container-files.js';
export type { NetworkContext } from './paths.js';
