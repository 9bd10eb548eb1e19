// Resource types for the cgroup drivers: the OCI runtime-spec's config-linux.md "resources", from
// src/oci. One difference: `pids.limit` is optional here, because `berth-runtime update` and the
// engine pass partial resources (a missing field means "leave it").
//
// Numbers follow the spec's JSON: int64 values beyond 2^53 lose precision, which is harmless for
// limits (the kernel rounds them to pages anyway). Memory in bytes (-1 unlimited, 0 unchanged);
// swap is memory + swap (v1 semantics); CPU quota in microseconds per period (-1 unlimited); pids
// 0 or -1 unlimited; a device rule with no type, major or minor matches all ("a", "*").
import type * as oci from '../../oci/runtime-spec.js';

export type LinuxMemory = oci.LinuxMemory;
export type LinuxCPU = oci.LinuxCPU;
export type LinuxWeightDevice = oci.LinuxWeightDevice;
export type LinuxThrottleDevice = oci.LinuxThrottleDevice;
export type LinuxBlockIO = oci.LinuxBlockIO;
export type LinuxHugepageLimit = oci.LinuxHugepageLimit;
export type LinuxDeviceCgroup = oci.LinuxDeviceCgroup;
export type LinuxInterfacePriority = oci.LinuxInterfacePriority;
export type LinuxNetwork = oci.LinuxNetwork;
export type LinuxRdma = oci.LinuxRdma;
export type LinuxPids = Partial<oci.LinuxPids>;
export type LinuxResources = Omit<oci.LinuxResources, 'pids'> & { pids?: LinuxPids };
