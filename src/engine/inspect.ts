// `inspect` in docker's JSON shape (the fields tools read; nanosecond durations, RFC 3339 times,
// "0001-01-01T00:00:00Z" for never, as docker prints them).
import type { Engine } from './engine.js';
import { shortId } from './ids.js';
import { containerPaths } from './paths.js';
import type { ContainerRecord } from './records.js';
import { volumeData } from './volumes.js';
import { networkSettings, sharedHostsFiles } from './network.js';

const ZERO_TIME = '0001-01-01T00:00:00Z';

export function dockerStatus(rec: ContainerRecord): string {
  switch (rec.state) {
    case 'creating':
    case 'created':
    case 'starting':
      return 'created';
    case 'removing':
      return 'removing';
    default:
      return rec.state;
  }
}

export function inspectContainer(engine: Engine, rec: ContainerRecord): Record<string, unknown> {
  const { request: req, resolved: r } = rec.config;
  const paths = containerPaths(engine.paths, rec.id);
  const files = sharedHostsFiles(engine, req) ?? paths;
  const status = dockerStatus(rec);
  const hc = r.healthcheck;
  const res = req.resources;
  const mounts = req.mounts.map((m) => ({
    Type: m.type,
    ...(m.type === 'volume' ? { Name: m.source } : {}),
    Source: m.type === 'volume' ? volumeData(engine.paths, m.source) : m.source,
    Destination: m.target,
    Driver: m.type === 'volume' ? 'local' : '',
    Mode: m.readOnly ? 'ro' : m.type === 'bind' ? 'rw' : 'z',
    RW: !m.readOnly,
    Propagation: m.type === 'bind' ? (m.options.find((o) => /private|shared|slave/.test(o)) ?? 'rprivate') : '',
  }));
  return {
    Id: rec.id,
    Created: rec.createdAt,
    Path: r.args[0] ?? '',
    Args: r.args.slice(1),
    State: {
      Status: status,
      Running: rec.state === 'running' || rec.state === 'paused',
      Paused: rec.state === 'paused',
      Restarting: rec.state === 'restarting',
      OOMKilled: rec.oomKilled,
      Dead: rec.state === 'dead',
      Pid: rec.state === 'running' || rec.state === 'paused' ? rec.pid : 0,
      ExitCode: rec.exitCode,
      Error: rec.error,
      StartedAt: rec.startedAt ?? ZERO_TIME,
      FinishedAt: rec.finishedAt ?? ZERO_TIME,
      ...(rec.health !== null || hc !== undefined ? { Health: rec.health ?? { Status: 'starting', FailingStreak: 0, Log: [] } } : {}),
    },
    Image: rec.imageId ?? '',
    ResolvConfPath: files.resolvConf,
    HostnamePath: files.hostname,
    HostsPath: files.hosts,
    LogPath: paths.log,
    Name: `/${rec.name}`,
    RestartCount: rec.restartCount,
    Driver: 'overlay',
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    HostConfig: {
      Binds: req.mounts.filter((m) => m.type !== 'tmpfs' && !m.anonymous).map((m) => `${m.source}:${m.target}${m.readOnly ? ':ro' : ''}`),
      NetworkMode: req.network === 'default' ? 'bridge' : req.network,
      PortBindings: portBindings(req.publish ?? []),
      PublishAllPorts: req.publishAll === true,
      Dns: req.dns ?? [],
      DnsSearch: req.dnsSearch ?? [],
      DnsOptions: req.dnsOptions ?? [],
      ExtraHosts: req.addHosts ?? null,
      RestartPolicy: { Name: req.restart.name, MaximumRetryCount: req.restart.maximumRetryCount },
      AutoRemove: req.autoRemove,
      Runtime: r.runtimeName,
      Privileged: req.privileged,
      ReadonlyRootfs: req.readOnly,
      CapAdd: req.capAdd.length > 0 ? req.capAdd : null,
      CapDrop: req.capDrop.length > 0 ? req.capDrop : null,
      SecurityOpt: [...(req.noNewPrivileges ? ['no-new-privileges'] : []), ...(req.seccomp === 'unconfined' ? ['seccomp=unconfined'] : [])],
      Tmpfs: Object.fromEntries(req.mounts.filter((m) => m.type === 'tmpfs').map((m) => [m.target, m.options.join(',')])),
      Init: req.init,
      UsernsMode: req.userns ?? '',
      Memory: res.memory ?? 0,
      MemorySwap: res.memorySwap ?? (res.memory !== undefined ? res.memory * 2 : 0),
      NanoCpus: res.nanoCpus ?? 0,
      CpuShares: res.cpuShares ?? 0,
      CpuQuota: res.cpuQuota ?? 0,
      CpuPeriod: res.cpuPeriod ?? 0,
      CpusetCpus: res.cpusetCpus ?? '',
      PidsLimit: res.pidsLimit ?? null,
      BlkioWeight: res.blkioWeight ?? 0,
      BlkioDeviceReadBps: res.deviceReadBps.map((d) => ({ Path: d.path, Rate: d.rate })),
      BlkioDeviceWriteBps: res.deviceWriteBps.map((d) => ({ Path: d.path, Rate: d.rate })),
      Ulimits: req.ulimits.map((u) => ({ Name: u.name, Soft: u.soft, Hard: u.hard })),
      LogConfig: {
        Type: 'json-file',
        Config: {
          ...(req.logMaxSize !== undefined ? { 'max-size': String(req.logMaxSize) } : {}),
          ...(req.logMaxFile !== undefined ? { 'max-file': String(req.logMaxFile) } : {}),
        },
      },
    },
    GraphDriver: { Name: 'overlay', Data: { MergedDir: paths.rootfs } },
    Mounts: mounts,
    Config: {
      Hostname: r.hostname,
      Domainname: '',
      User: r.user,
      AttachStdin: req.openStdin,
      AttachStdout: true,
      AttachStderr: true,
      Tty: req.tty,
      OpenStdin: req.openStdin,
      StdinOnce: false,
      Env: r.env,
      Cmd: req.cmd.length > 0 ? req.cmd : req.entrypoint !== undefined ? null : r.imageCmd ?? null,
      Image: rec.imageName,
      Volumes: r.imageVolumes.length > 0 || req.mounts.some((m) => m.anonymous) ? Object.fromEntries(req.mounts.filter((m) => m.anonymous).map((m) => [m.target, {}])) : null,
      WorkingDir: r.cwd === '/' ? '' : r.cwd,
      Entrypoint: req.entrypoint !== undefined ? (req.entrypoint.length > 0 ? req.entrypoint : null) : r.imageEntrypoint ?? null,
      Labels: { ...r.imageLabels, ...req.labels },
      ...(r.exposedPorts !== undefined ? { ExposedPorts: Object.fromEntries(r.exposedPorts.map((p) => [p, {}])) } : {}),
      StopSignal: r.stopSignal,
      StopTimeout: req.stopTimeout ?? null,
      ...(hc !== undefined
        ? { Healthcheck: { Test: hc.test, Interval: hc.interval ?? 0, Timeout: hc.timeout ?? 0, StartPeriod: hc.startPeriod ?? 0, Retries: hc.retries ?? 0 } }
        : {}),
    },
    NetworkSettings: networkSettings(engine, rec),
    ShortId: shortId(rec.id),
  };
}

function portBindings(publish: NonNullable<ContainerRecord['config']['request']['publish']>): Record<string, Array<{ HostIp: string; HostPort: string }>> {
  const out: Record<string, Array<{ HostIp: string; HostPort: string }>> = {};
  for (const p of publish) {
    const host = p.hostPort === 0 ? '' : p.hostPortEnd !== undefined ? `${p.hostPort}-${p.hostPortEnd}` : String(p.hostPort);
    (out[`${p.containerPort}/${p.protocol}`] ??= []).push({ HostIp: p.hostIP ?? '', HostPort: host });
  }
  return out;
}
