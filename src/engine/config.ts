// A container's configuration as the engine keeps it: what the user asked for (flags), plus what
// create resolved from the image (the process, user, stop signal, healthcheck). Stored as JSON in
// the containers table; `inspect` renders it in docker's shape.

export interface MountSpec {
  type: 'bind' | 'volume' | 'tmpfs';
  /** Host path (bind), volume name (volume; empty for an anonymous one); unused for tmpfs. */
  source: string;
  target: string;
  readOnly: boolean;
  /** tmpfs options (size=, mode=) or bind propagation. */
  options: string[];
  /** An anonymous volume made for this container: removed by `rm -v`. */
  anonymous?: boolean;
}

export type RestartName = 'no' | 'on-failure' | 'always' | 'unless-stopped';

export interface RestartPolicy {
  name: RestartName;
  maximumRetryCount: number;
}

/** Docker's HEALTHCHECK, durations in nanoseconds as in the image config. */
export interface HealthConfig {
  test: string[];
  interval?: number;
  timeout?: number;
  startPeriod?: number;
  retries?: number;
}

export interface ThrottleDevice {
  path: string;
  rate: number;
}

export interface Resources {
  memory?: number;
  memorySwap?: number;
  cpuQuota?: number;
  cpuPeriod?: number;
  nanoCpus?: number;
  cpuShares?: number;
  cpusetCpus?: string;
  pidsLimit?: number;
  blkioWeight?: number;
  deviceReadBps: ThrottleDevice[];
  deviceWriteBps: ThrottleDevice[];
}

export interface Ulimit {
  name: string;
  soft: number;
  hard: number;
}

/**
 * `--network`: 'default' (docker's bridge: berth's default network), 'none', 'host',
 * 'container:ID' (create resolves the name to the full id) or the name of a user network.
 */
export type NetworkMode = string;

/** One network a container joins (bridge or user modes), with its per-network flags. */
export interface EndpointRequest {
  /** A network name; 'bridge'/'default' is berth's default network. */
  name: string;
  aliases?: string[];
  ip?: string;
  mac?: string;
}

/** A published port as given (-p, -P): hostPort 0 lets attach pick a free one. */
export interface PublishSpec {
  hostIP?: string;
  hostPort: number;
  hostPortEnd?: number;
  containerPort: number;
  protocol: 'tcp' | 'udp';
}

/** What the user asked for: docker's run/create flags, parsed. */
export interface CreateRequest {
  image: string;
  name?: string;
  /** Replaces the image's Cmd when not empty. */
  cmd: string[];
  /** undefined: the image's; [] (from --entrypoint ""): none. */
  entrypoint?: string[];
  env: string[];
  workingDir?: string;
  user?: string;
  labels: Record<string, string>;
  hostname?: string;
  tty: boolean;
  openStdin: boolean;
  autoRemove: boolean;
  mounts: MountSpec[];
  readOnly: boolean;
  resources: Resources;
  ulimits: Ulimit[];
  capAdd: string[];
  capDrop: string[];
  privileged: boolean;
  /** undefined: the default profile; 'unconfined'; or a profile's JSON text. */
  seccomp?: string;
  noNewPrivileges: boolean;
  userns?: string;
  init: boolean;
  stopSignal?: string;
  stopTimeout?: number;
  restart: RestartPolicy;
  /** undefined: the image's; { test: ['NONE'] }: disabled. */
  healthcheck?: HealthConfig;
  network: NetworkMode;
  /** Bridge and user modes: every network to join, the first being `network` (eth0, eth1 …). */
  endpoints?: EndpointRequest[];
  /** -p, parsed. */
  publish?: PublishSpec[];
  /** -P: every exposed port (image EXPOSE and --expose) on a free host port. */
  publishAll?: boolean;
  /** --expose, as "PORT/PROTO". */
  expose?: string[];
  dns?: string[];
  dnsSearch?: string[];
  dnsOptions?: string[];
  /** --add-host NAME:IP. */
  addHosts?: string[];
  /** --network-bandwidth, bits/s and bits. */
  bandwidth?: { ingressRate?: number; ingressBurst?: number; egressRate?: number; egressBurst?: number };
  runtime?: string;
  logMaxSize?: number;
  logMaxFile?: number;
}

/** What create resolved and stored beside the request. */
export interface ResolvedConfig {
  args: string[];
  env: string[];
  cwd: string;
  user: string;
  uid: number;
  gid: number;
  additionalGids: number[];
  hostname: string;
  stopSignal: string;
  stopTimeout: number;
  healthcheck?: HealthConfig;
  /** The image's own config, for `inspect` (Config.Cmd, Entrypoint, Volumes). */
  imageEntrypoint?: string[] | null;
  imageCmd?: string[] | null;
  imageVolumes: string[];
  /** The runtime binary (absolute path or a bare name looked up in PATH). */
  runtime: string;
  runtimeName: string;
  imageLabels: Record<string, string>;
  /** The image's EXPOSE plus --expose ("80/tcp"), for -P, inspect and ps. */
  exposedPorts?: string[];
}

export interface StoredConfig {
  request: CreateRequest;
  resolved: ResolvedConfig;
}

export function emptyResources(): Resources {
  return { deviceReadBps: [], deviceWriteBps: [] };
}

export function defaultRequest(image: string): CreateRequest {
  return {
    image,
    cmd: [],
    env: [],
    labels: {},
    tty: false,
    openStdin: false,
    autoRemove: false,
    mounts: [],
    readOnly: false,
    resources: emptyResources(),
    ulimits: [],
    capAdd: [],
    capDrop: [],
    privileged: false,
    noNewPrivileges: false,
    init: false,
    restart: { name: 'no', maximumRetryCount: 0 },
    network: 'default',
  };
}
