// The Docker Engine API's JSON shapes (API 1.41–1.50), as the backend returns them and the server
// sends them. Field names are Docker's, so a value can go on the wire unchanged. Only the fields
// that clients read are required; the rest are optional because Docker omits them too.

export type Labels = Record<string, string>;

/** `filters={"status":["running"],"label":["a=b"]}`, parsed and normalized to lists. */
export type Filters = Record<string, string[]>;

// ---- containers ----

export interface PortBinding { HostIp?: string; HostPort?: string }
export interface MountPoint {
  Type: 'bind' | 'volume' | 'tmpfs' | 'npipe' | 'cluster' | string;
  Name?: string; Source: string; Destination: string; Driver?: string; Mode: string; RW: boolean; Propagation: string;
}
export interface RestartPolicy { Name: '' | 'no' | 'always' | 'unless-stopped' | 'on-failure' | string; MaximumRetryCount?: number }

export interface HostConfig {
  Binds?: string[] | null;
  NetworkMode?: string;
  PortBindings?: Record<string, PortBinding[] | null> | null;
  RestartPolicy?: RestartPolicy;
  AutoRemove?: boolean;
  Privileged?: boolean;
  ReadonlyRootfs?: boolean;
  Memory?: number;
  NanoCpus?: number;
  CpuShares?: number;
  PidsLimit?: number | null;
  CapAdd?: string[] | null;
  CapDrop?: string[] | null;
  Dns?: string[] | null;
  ExtraHosts?: string[] | null;
  Tmpfs?: Record<string, string> | null;
  Mounts?: Array<{ Type: string; Source?: string; Target: string; ReadOnly?: boolean }> | null;
  Init?: boolean | null;
  ShmSize?: number;
  [key: string]: unknown;
}

export interface HealthConfig { Test?: string[]; Interval?: number; Timeout?: number; StartPeriod?: number; Retries?: number }

/** The container part of `POST /containers/create` (and `Config` in inspect). */
export interface ContainerConfig {
  Hostname?: string;
  Domainname?: string;
  User?: string;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  ExposedPorts?: Record<string, object> | null;
  Tty?: boolean;
  OpenStdin?: boolean;
  StdinOnce?: boolean;
  Env?: string[] | null;
  Cmd?: string[] | null;
  Healthcheck?: HealthConfig;
  Image?: string;
  Volumes?: Record<string, object> | null;
  WorkingDir?: string;
  Entrypoint?: string[] | null;
  Labels?: Labels | null;
  StopSignal?: string;
  StopTimeout?: number;
}

export interface EndpointSettings {
  IPAMConfig?: { IPv4Address?: string; IPv6Address?: string } | null;
  Links?: string[] | null;
  Aliases?: string[] | null;
  MacAddress?: string;
  NetworkID?: string;
  EndpointID?: string;
  Gateway?: string;
  IPAddress?: string;
  IPPrefixLen?: number;
  IPv6Gateway?: string;
  GlobalIPv6Address?: string;
  GlobalIPv6PrefixLen?: number;
  DNSNames?: string[] | null;
}

export interface ContainerCreateBody extends ContainerConfig {
  HostConfig?: HostConfig;
  NetworkingConfig?: { EndpointsConfig?: Record<string, EndpointSettings> };
  Platform?: string;
}

export interface ContainerCreateResponse { Id: string; Warnings: string[] }

export type ContainerStatus = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

export interface ContainerState {
  Status: ContainerStatus;
  Running: boolean;
  Paused: boolean;
  Restarting: boolean;
  OOMKilled: boolean;
  Dead: boolean;
  Pid: number;
  ExitCode: number;
  Error: string;
  StartedAt: string;
  FinishedAt: string;
  Health?: { Status: 'starting' | 'healthy' | 'unhealthy' | 'none'; FailingStreak: number; Log: Array<{ Start: string; End: string; ExitCode: number; Output: string }> };
}

export interface ContainerInspect {
  Id: string;
  Created: string;
  Path: string;
  Args: string[];
  State: ContainerState;
  Image: string;
  ResolvConfPath: string;
  HostnamePath: string;
  HostsPath: string;
  LogPath: string;
  Name: string;
  RestartCount: number;
  Driver: string;
  Platform: string;
  MountLabel: string;
  ProcessLabel: string;
  AppArmorProfile: string;
  ExecIDs: string[] | null;
  HostConfig: HostConfig;
  GraphDriver: { Name: string; Data: Record<string, string> | null };
  SizeRw?: number;
  SizeRootFs?: number;
  Mounts: MountPoint[];
  Config: ContainerConfig;
  NetworkSettings: {
    Bridge: string; SandboxID: string; SandboxKey: string;
    Ports: Record<string, PortBinding[] | null>;
    Networks: Record<string, EndpointSettings>;
    IPAddress?: string; Gateway?: string; MacAddress?: string;
  };
}

export interface ContainerSummary {
  Id: string;
  Names: string[];
  Image: string;
  ImageID: string;
  Command: string;
  Created: number;
  Ports: Array<{ IP?: string; PrivatePort: number; PublicPort?: number; Type: string }>;
  SizeRw?: number;
  SizeRootFs?: number;
  Labels: Labels;
  State: ContainerStatus;
  Status: string;
  HostConfig: { NetworkMode: string };
  NetworkSettings: { Networks: Record<string, EndpointSettings> };
  Mounts: MountPoint[];
}

export interface ContainerWaitResponse { StatusCode: number; Error: { Message: string } | null }
export interface ContainerTop { Titles: string[]; Processes: string[][] }
export interface ContainerChange { Path: string; Kind: 0 | 1 | 2 }
export interface ContainerPruneResponse { ContainersDeleted: string[] | null; SpaceReclaimed: number }

/** `X-Docker-Container-Path-Stat` of the archive endpoints (base64 JSON in a header). */
export interface PathStat { name: string; size: number; mode: number; mtime: string; linkTarget: string }

export interface ContainerStats {
  id?: string;
  name?: string;
  read: string;
  preread: string;
  pids_stats: { current?: number; limit?: number };
  num_procs: number;
  cpu_stats: CpuStats;
  precpu_stats: CpuStats;
  memory_stats: { usage?: number; limit?: number; stats?: Record<string, number> };
  blkio_stats: Record<string, Array<{ major: number; minor: number; op: string; value: number }> | null>;
  networks?: Record<string, { rx_bytes: number; rx_packets: number; rx_errors: number; rx_dropped: number; tx_bytes: number; tx_packets: number; tx_errors: number; tx_dropped: number }>;
}
export interface CpuStats {
  cpu_usage: { total_usage: number; usage_in_kernelmode: number; usage_in_usermode: number; percpu_usage?: number[] };
  system_cpu_usage?: number;
  online_cpus?: number;
  throttling_data: { periods: number; throttled_periods: number; throttled_time: number };
}

// ---- exec ----

export interface ExecCreateBody {
  AttachStdin?: boolean; AttachStdout?: boolean; AttachStderr?: boolean;
  DetachKeys?: string; Tty?: boolean; ConsoleSize?: [number, number] | null;
  Env?: string[] | null; Cmd: string[]; Privileged?: boolean; User?: string; WorkingDir?: string;
}
export interface ExecStartBody { Detach?: boolean; Tty?: boolean; ConsoleSize?: [number, number] | null }
export interface ExecInspect {
  ID: string; Running: boolean; ExitCode: number | null; CanRemove: boolean; DetachKeys: string;
  OpenStdin: boolean; OpenStdout: boolean; OpenStderr: boolean; ContainerID: string; Pid: number;
  ProcessConfig: { tty: boolean; entrypoint: string; arguments: string[]; privileged: boolean; user: string };
}

// ---- images ----

export interface ImageSummary {
  Id: string; ParentId: string; RepoTags: string[]; RepoDigests: string[]; Created: number;
  Size: number; SharedSize: number; VirtualSize?: number; Labels: Labels; Containers: number;
}
export interface ImageInspect {
  Id: string; RepoTags: string[]; RepoDigests: string[]; Parent: string; Comment: string; Created: string;
  DockerVersion: string; Author: string; Config: ContainerConfig; Architecture: string; Variant?: string;
  Os: string; Size: number; VirtualSize?: number;
  GraphDriver: { Name: string; Data: Record<string, string> | null };
  RootFS: { Type: string; Layers: string[] };
  Metadata: { LastTagTime?: string };
}
export interface ImageHistoryItem { Id: string; Created: number; CreatedBy: string; Tags: string[] | null; Size: number; Comment: string }
export type ImageDeleteItem = { Untagged: string } | { Deleted: string };
export interface ImagePruneResponse { ImagesDeleted: ImageDeleteItem[] | null; SpaceReclaimed: number }

/** One line of a pull, push, load or build stream. */
export interface ProgressMessage {
  status?: string;
  id?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  stream?: string;
  aux?: Record<string, unknown>;
  error?: string;
  errorDetail?: { code?: number; message: string };
}

/** The decoded X-Registry-Auth header (base64url JSON). */
export interface RegistryAuth { username?: string; password?: string; serveraddress?: string; identitytoken?: string; registrytoken?: string }

// ---- networks and volumes ----

export interface IpamConfig { Subnet?: string; IPRange?: string; Gateway?: string; AuxiliaryAddresses?: Record<string, string> }
export interface NetworkCreateBody {
  Name: string; CheckDuplicate?: boolean; Driver?: string; Scope?: string; Internal?: boolean; Attachable?: boolean;
  Ingress?: boolean; EnableIPv6?: boolean; EnableIPv4?: boolean;
  IPAM?: { Driver?: string; Config?: IpamConfig[] | null; Options?: Record<string, string> | null };
  Options?: Record<string, string> | null; Labels?: Labels | null;
}
export interface NetworkInspect {
  Name: string; Id: string; Created: string; Scope: string; Driver: string; EnableIPv6: boolean; EnableIPv4?: boolean;
  IPAM: { Driver: string; Options: Record<string, string> | null; Config: IpamConfig[] };
  Internal: boolean; Attachable: boolean; Ingress: boolean; ConfigFrom: { Network: string }; ConfigOnly: boolean;
  Containers: Record<string, { Name: string; EndpointID: string; MacAddress: string; IPv4Address: string; IPv6Address: string }>;
  Options: Record<string, string>; Labels: Labels;
}
export interface NetworkConnectBody { Container: string; EndpointConfig?: EndpointSettings }
export interface NetworkDisconnectBody { Container: string; Force?: boolean }

export interface Volume {
  Name: string; Driver: string; Mountpoint: string; CreatedAt?: string; Labels: Labels | null; Scope: 'local' | 'global';
  Options: Record<string, string> | null; Status?: Record<string, unknown>;
  UsageData?: { Size: number; RefCount: number } | null;
}
export interface VolumeCreateBody { Name?: string; Driver?: string; DriverOpts?: Record<string, string> | null; Labels?: Labels | null }
export interface VolumeListResponse { Volumes: Volume[]; Warnings: string[] | null }

// ---- system ----

export interface SystemVersion {
  Platform: { Name: string };
  Components: Array<{ Name: string; Version: string; Details?: Record<string, string> }>;
  Version: string; ApiVersion: string; MinAPIVersion: string; GitCommit: string; GoVersion: string;
  Os: string; Arch: string; KernelVersion: string; Experimental?: boolean; BuildTime: string;
}

/** `GET /info`. Docker has many more fields; clients tolerate their absence. */
export interface SystemInfo {
  ID: string; Containers: number; ContainersRunning: number; ContainersPaused: number; ContainersStopped: number;
  Images: number; Driver: string; DriverStatus: Array<[string, string]>; Plugins: { Volume: string[]; Network: string[]; Authorization: string[] | null; Log: string[] };
  MemoryLimit: boolean; SwapLimit: boolean; CpuCfsPeriod: boolean; CpuCfsQuota: boolean; CPUShares: boolean; CPUSet: boolean;
  PidsLimit: boolean; IPv4Forwarding: boolean; Debug: boolean; NFd: number; NGoroutines: number; SystemTime: string;
  LoggingDriver: string; CgroupDriver: string; CgroupVersion: string; NEventsListener: number; KernelVersion: string;
  OperatingSystem: string; OSVersion: string; OSType: string; Architecture: string; IndexServerAddress: string;
  RegistryConfig: { IndexConfigs: Record<string, { Name: string; Mirrors: string[]; Secure: boolean; Official: boolean }>; InsecureRegistryCIDRs: string[]; Mirrors: string[] };
  NCPU: number; MemTotal: number; DockerRootDir: string; Name: string; Labels: string[]; ExperimentalBuild: boolean;
  ServerVersion: string; Runtimes: Record<string, { path: string }>; DefaultRuntime: string;
  Swarm: { LocalNodeState: 'inactive'; NodeID: string; NodeAddr: string; ControlAvailable: boolean; Error: string; RemoteManagers: null };
  LiveRestoreEnabled: boolean; Isolation: string; InitBinary: string;
  ContainerdCommit: { ID: string }; RuncCommit: { ID: string }; InitCommit: { ID: string };
  SecurityOptions: string[]; Warnings: string[] | null;
  [key: string]: unknown;
}

export interface SystemDf {
  LayersSize: number;
  Images: ImageSummary[];
  Containers: ContainerSummary[];
  Volumes: Volume[];
  BuildCache: unknown[];
}

/** One line of `GET /events`. */
export interface EventMessage {
  Type: 'container' | 'image' | 'volume' | 'network' | 'daemon' | 'plugin' | 'node' | 'service' | 'secret' | 'config' | 'builder';
  Action: string;
  Actor: { ID: string; Attributes: Labels };
  scope: 'local' | 'swarm';
  time: number;
  timeNano: number;
  /** Deprecated fields that old clients (docker-py, compose 1.x) still read. */
  status?: string;
  id?: string;
  from?: string;
}
