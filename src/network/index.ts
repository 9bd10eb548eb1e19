// berth's network layer: CNI invocation, network namespaces, bridge network configuration and
// the per-network DNS server. The engine imports from here only.
export * from './cni/index.js';
export { createNetns, deleteNetns, execInNetns, isNetns, DEFAULT_NETNS_DIR, type NetnsOptions } from './netns.js';
export {
  generateConfList, validateSubnet, pickSubnet, readHostRoutes, parseIpRouteJson, parseProcNetRoute,
  DEFAULT_SUBNET_POOL, DEFAULT_SUBNET_PREFIX, type NetworkRecord, type ConflistOptions, type PickOptions,
} from './conflist.js';
export { DnsServer, DnsRecords, hostUpstreams, type DnsServerOptions, type RecordEntry } from './dns/index.js';
