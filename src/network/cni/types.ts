// Types of the CNI 1.0 contract (network configuration lists, results, runtime capabilities).
// Field names follow the CNI spec exactly because they are the wire format.

/** One plugin entry of a conflist: `type` plus the plugin's own fields, kept verbatim. */
export interface PluginConf {
  type: string;
  capabilities?: Record<string, boolean>;
  [field: string]: unknown;
}

export interface NetworkConfigList {
  cniVersion: string;
  name: string;
  disableCheck: boolean;
  plugins: PluginConf[];
}

/** The well-known capability arguments (CNI CONVENTIONS.md), passed as `runtimeConfig`. */
export interface PortMapping {
  hostPort: number;
  containerPort: number;
  protocol: 'tcp' | 'udp' | 'sctp';
  hostIP?: string;
}

export interface BandwidthLimits {
  /** bits per second */
  ingressRate?: number;
  /** bits */
  ingressBurst?: number;
  egressRate?: number;
  egressBurst?: number;
}

export interface DnsSettings {
  servers?: string[];
  searches?: string[];
  options?: string[];
}

export interface CapabilityArgs {
  portMappings?: PortMapping[];
  bandwidth?: BandwidthLimits;
  ips?: string[];
  mac?: string;
  dns?: DnsSettings;
  aliases?: string[];
  [capability: string]: unknown;
}

export interface AttachmentOptions {
  /** CNI_ARGS key/value pairs (e.g. IgnoreUnknown=1). */
  args?: Record<string, string>;
  capabilityArgs?: CapabilityArgs;
}

export interface ResultInterface {
  name: string;
  mac?: string;
  mtu?: number;
  sandbox?: string;
}

export interface ResultIp {
  /** CIDR form, e.g. 10.88.0.5/24 */
  address: string;
  gateway?: string;
  /** Index into `interfaces`. */
  interface?: number;
}

export interface ResultRoute {
  dst: string;
  gw?: string;
}

export interface ResultDns {
  nameservers?: string[];
  domain?: string;
  search?: string[];
  options?: string[];
}

/** A CNI 1.0.0 result. Older results are converted to this shape on receipt. */
export interface CniResult {
  cniVersion: string;
  interfaces?: ResultInterface[];
  ips?: ResultIp[];
  routes?: ResultRoute[];
  dns?: ResultDns;
}

export interface VersionInfo {
  cniVersion: string;
  supportedVersions: string[];
}

/** The spec's error object, printed by a failing plugin on stdout. */
export interface CniErrorObject {
  cniVersion?: string;
  code: number;
  msg: string;
  details?: string;
}

export type CniCommand = 'ADD' | 'DEL' | 'CHECK' | 'VERSION';
