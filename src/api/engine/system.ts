// `/version`, `/info` and `/system/df` from the engine's own facts (engine/system.ts) in docker's
// shape; the fields berth has no notion of (swarm, plugins) carry docker's "nothing here" values.
import { arch, hostname } from 'node:os';
import { existsSync } from 'node:fs';
import { diskUsage, systemInfo } from '../../engine/system.js';
import type { EngineIdentity } from '../backend.js';
import type { SystemDf, SystemInfo } from '../types.js';
import * as containers from './containers.js';
import * as images from './images.js';
import type { EngineApi } from './state.js';
import { usageOf } from './volumes.js';

const VERSION = '0.1.0';

const goArch = (): string => ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x' } as Record<string, string>)[arch()] ?? arch();

export async function identity(api: EngineApi): Promise<EngineIdentity> {
  const info = await systemInfo(api.engine);
  return {
    version: VERSION, gitCommit: '', os: 'linux', arch: goArch(), kernelVersion: info.KernelVersion,
    components: [
      { Name: 'berth-runtime', Version: VERSION, Details: { DefaultRuntime: info.DefaultRuntime } },
      { Name: 'berth-monitor', Version: VERSION },
    ],
  };
}

export async function info(api: EngineApi): Promise<SystemInfo> {
  const i = await systemInfo(api.engine);
  const runtimes: Record<string, { path: string }> = {};
  for (const r of i.Runtimes) runtimes[r] = { path: r };
  const store = images.imageStore(api);
  return {
    ID: `berth:${api.engine.paths.root}`, Containers: i.Containers, ContainersRunning: i.ContainersRunning, ContainersPaused: i.ContainersPaused,
    ContainersStopped: i.ContainersStopped, Images: i.Images, Driver: store.driver, DriverStatus: [['Backing Filesystem', store.driver]],
    Plugins: { Volume: ['local'], Network: ['bridge', 'host', 'null'], Authorization: null, Log: ['json-file'] },
    MemoryLimit: true, SwapLimit: true, CpuCfsPeriod: true, CpuCfsQuota: true, CPUShares: true, CPUSet: true, PidsLimit: true,
    IPv4Forwarding: true, Debug: false, NFd: 0, NGoroutines: 0, SystemTime: new Date().toISOString(), LoggingDriver: 'json-file',
    CgroupDriver: 'cgroupfs', CgroupVersion: i.CgroupVersion, NEventsListener: api.journal.listeners, KernelVersion: i.KernelVersion,
    OperatingSystem: i.OperatingSystem, OSVersion: '', OSType: 'linux', Architecture: arch() === 'x64' ? 'x86_64' : arch(),
    IndexServerAddress: 'https://index.docker.io/v1/',
    RegistryConfig: { IndexConfigs: {}, InsecureRegistryCIDRs: ['127.0.0.0/8', '::1/128'], Mirrors: [] },
    NCPU: i.NCPU, MemTotal: i.MemTotal, DockerRootDir: i.DockerRootDir, Name: hostname(), Labels: [], ExperimentalBuild: false,
    ServerVersion: VERSION, Runtimes: runtimes, DefaultRuntime: i.DefaultRuntime,
    Swarm: { LocalNodeState: 'inactive', NodeID: '', NodeAddr: '', ControlAvailable: false, Error: '', RemoteManagers: null },
    LiveRestoreEnabled: true, Isolation: '', InitBinary: existsSync(i.InitBinary) ? i.InitBinary : '',
    ContainerdCommit: { ID: '' }, RuncCommit: { ID: '' }, InitCommit: { ID: '' },
    SecurityOptions: ['name=seccomp,profile=builtin', `name=cgroupns`], Warnings: null,
  };
}

export async function df(api: EngineApi): Promise<SystemDf> {
  const [imgs, ctrs, usage] = await Promise.all([
    images.list(api, { all: true, filters: {} }),
    containers.list(api, { all: true, size: false, filters: {} }),
    diskUsage(api.engine),
  ]);
  const layers = usage.find((u) => u.Type === 'Images')?.Size ?? 0;
  return { LayersSize: layers, Images: imgs, Containers: ctrs, Volumes: usageOf(api), BuildCache: [] };
}
