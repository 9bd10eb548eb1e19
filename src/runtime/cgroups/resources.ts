// Resource types for the cgroup drivers, named exactly as the OCI runtime-spec's
// config-linux.md "resources" section. Every field is optional here so that the spec
// types in src/oci/runtime-spec.ts (where some fields are required) stay assignable
// to these; the lead can later alias one to the other.
//
// Numbers follow the spec's JSON: int64 values beyond 2^53 lose precision, which is
// harmless for limits (the kernel rounds them to pages anyway).

export interface LinuxMemory {
  /** Bytes; -1 = unlimited, 0 = leave unchanged. */
  limit?: number;
  reservation?: number;
  /** memory + swap, in bytes (cgroup v1 semantics); -1 = unlimited. */
  swap?: number;
  /** Deprecated by the kernel; accepted and ignored with a warning. */
  kernel?: number;
  kernelTCP?: number;
  swappiness?: number;
  disableOOMKiller?: boolean;
  useHierarchy?: boolean;
  checkBeforeUpdate?: boolean;
}

export interface LinuxCPU {
  shares?: number;
  /** Microseconds per period; -1 = unlimited. */
  quota?: number;
  burst?: number;
  period?: number;
  realtimeRuntime?: number;
  realtimePeriod?: number;
  cpus?: string;
  mems?: string;
  idle?: number;
}

export interface LinuxPids {
  /** 0 or -1 = unlimited. */
  limit?: number;
}

export interface LinuxWeightDevice {
  major: number;
  minor: number;
  weight?: number;
  leafWeight?: number;
}

export interface LinuxThrottleDevice {
  major: number;
  minor: number;
  rate: number;
}

export interface LinuxBlockIO {
  weight?: number;
  leafWeight?: number;
  weightDevice?: LinuxWeightDevice[];
  throttleReadBpsDevice?: LinuxThrottleDevice[];
  throttleWriteBpsDevice?: LinuxThrottleDevice[];
  throttleReadIOPSDevice?: LinuxThrottleDevice[];
  throttleWriteIOPSDevice?: LinuxThrottleDevice[];
}

export interface LinuxHugepageLimit {
  /** "2MB", "1GB", "64KB" … */
  pageSize: string;
  limit: number;
}

export interface LinuxDeviceCgroup {
  allow: boolean;
  /** "a", "b" or "c"; absent = all. */
  type?: string;
  /** absent or -1 = any (written as "*"). */
  major?: number;
  minor?: number;
  /** Some of "rwm"; absent = "rwm". */
  access?: string;
}

export interface LinuxInterfacePriority {
  name: string;
  priority: number;
}

export interface LinuxNetwork {
  classID?: number;
  priorities?: LinuxInterfacePriority[];
}

export interface LinuxRdma {
  hcaHandles?: number;
  hcaObjects?: number;
}

export interface LinuxResources {
  devices?: LinuxDeviceCgroup[];
  memory?: LinuxMemory;
  cpu?: LinuxCPU;
  pids?: LinuxPids;
  blockIO?: LinuxBlockIO;
  hugepageLimits?: LinuxHugepageLimit[];
  network?: LinuxNetwork;
  rdma?: Record<string, LinuxRdma>;
  /** cgroup v2 file name → value, written verbatim (v2 only). */
  unified?: Record<string, string>;
}
