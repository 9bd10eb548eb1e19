// An in-memory ApiBackend for tests and for trying clients against `berth system service
// --backend fake`. Containers "run" tiny scripted programs (fake-program.ts), images come from a
// pretend registry, and every stream it hands out is counted so tests can prove none leak.
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { BerthError } from '../errors.js';
import type {
  ApiBackend, ApiStream, ArchivePutOptions, AttachOptions, Changed, EngineIdentity, ListContainersOptions,
  LogEntry, LogsOptions, PullOptions, RemoveContainerOptions, StdioSession, WaitCondition,
} from './backend.js';
import { Channel, streamOf } from './channel.js';
import { FakeContainer, humanStatus, nanoTime } from './fake-container.js';
import { readAll } from './fake-fs.js';
import { FakeImages, makeImage, normalizeRef, type FakeImage } from './fake-images.js';
import { FakeEvents, FakeNetworks, FakeVolumes, labelMatch, newId } from './fake-objects.js';
import { runProgram } from './fake-program.js';
import type { OutputChunk } from './backend.js';
import type {
  ContainerCreateBody, ContainerInspect, ContainerStats, ContainerSummary, ExecCreateBody, ExecInspect, Filters,
  MountPoint, NetworkConnectBody, NetworkDisconnectBody, ProgressMessage, SystemInfo, VolumeCreateBody,
} from './types.js';

interface FakeExec {
  id: string; container: FakeContainer; body: ExecCreateBody; running: boolean; exitCode: number | null; pid: number; started: boolean;
}

const ADJ = ['brave', 'calm', 'eager', 'fond', 'keen', 'lucid', 'merry', 'quiet', 'sharp', 'witty'];
const NOUN = ['curie', 'darwin', 'euler', 'gauss', 'hopper', 'lovelace', 'noether', 'pascal', 'turing', 'volta'];

/** A stream generator → a closable ApiStream, counted like the others. */
function fromGenerator<T>(gen: AsyncGenerator<T>, track: <U>(c: Channel<U>) => Channel<U>): Channel<T> {
  const ch = track(new Channel<T>(16));
  void (async () => {
    try {
      for await (const item of gen) { if (ch.closed) break; await ch.push(item); }
      ch.end();
    } catch (e) { ch.end(e); }
  })();
  ch.onClose(() => { void gen.return(undefined); });
  return ch;
}

export class FakeBackend implements ApiBackend {
  readonly containers = new Map<string, FakeContainer>();
  readonly execs = new Map<string, FakeExec>();
  readonly images = new FakeImages();
  readonly eventLog = new FakeEvents();
  readonly networks = new FakeNetworks(this.eventLog);
  readonly volumes = new FakeVolumes(this.eventLog);
  /** Streams handed out and not yet closed: a client that went away must bring this back down. */
  openStreams = 0;
  closed = false;

  constructor() {
    this.images.add(makeImage('busybox:latest', ['sh']));
    for (const name of ['alpine:latest', 'broken:latest', 'localhost:5000/tools:1']) this.images.registry.set(normalizeRef(name), makeImage(name, ['sh']));
  }

  track<T>(ch: Channel<T>): Channel<T> {
    this.openStreams++;
    ch.onClose(() => { this.openStreams--; });
    return ch;
  }

  private find(ref: string): FakeContainer {
    const r = ref.replace(/^\//, '');
    const byId = this.containers.get(r);
    if (byId) return byId;
    const all = [...this.containers.values()];
    const byName = all.find((c) => c.name === r);
    if (byName) return byName;
    const byPrefix = r.length > 0 ? all.filter((c) => c.id.startsWith(r)) : [];
    if (byPrefix.length === 1) return byPrefix[0]!;
    if (byPrefix.length > 1) throw new BerthError('BERTH_EINVAL', `multiple IDs found with provided prefix: ${r}`);
    throw new BerthError('BERTH_ENOTFOUND', `No such container: ${ref}`);
  }

  private event(c: FakeContainer, action: string, attrs: Record<string, string> = {}): void {
    this.eventLog.emit('container', action, c.id, { image: c.config.Image ?? '', name: c.name, ...(c.config.Labels ?? {}), ...attrs });
  }

  // ---- system ----

  async identity(): Promise<EngineIdentity> {
    return { version: '0.1.0', gitCommit: 'fake', os: 'linux', arch: 'amd64', kernelVersion: 'fake', components: [{ Name: 'berth-fake-backend', Version: '0.1.0' }] };
  }

  async info(): Promise<SystemInfo> {
    const cs = [...this.containers.values()];
    return {
      ID: 'FAKE:BERTH', Containers: cs.length, ContainersRunning: cs.filter((c) => c.status === 'running').length,
      ContainersPaused: cs.filter((c) => c.status === 'paused').length, ContainersStopped: cs.filter((c) => !c.running).length,
      Images: this.images.images.size, Driver: 'overlay', DriverStatus: [], Plugins: { Volume: ['local'], Network: ['bridge', 'host', 'null'], Authorization: null, Log: ['json-file'] },
      MemoryLimit: true, SwapLimit: true, CpuCfsPeriod: true, CpuCfsQuota: true, CPUShares: true, CPUSet: true, PidsLimit: true,
      IPv4Forwarding: true, Debug: false, NFd: 0, NGoroutines: 0, SystemTime: new Date().toISOString(), LoggingDriver: 'json-file',
      CgroupDriver: 'systemd', CgroupVersion: '2', NEventsListener: this.eventLog.listeners, KernelVersion: 'fake', OperatingSystem: 'berth fake backend',
      OSVersion: '', OSType: 'linux', Architecture: 'x86_64', IndexServerAddress: 'https://index.docker.io/v1/',
      RegistryConfig: { IndexConfigs: {}, InsecureRegistryCIDRs: ['127.0.0.0/8'], Mirrors: [] }, NCPU: 1, MemTotal: 1 << 30,
      DockerRootDir: '/var/lib/berth', Name: 'berth-fake', Labels: [], ExperimentalBuild: false, ServerVersion: '0.1.0',
      Runtimes: { 'berth-runtime': { path: 'berth-runtime' } }, DefaultRuntime: 'berth-runtime',
      Swarm: { LocalNodeState: 'inactive', NodeID: '', NodeAddr: '', ControlAvailable: false, Error: '', RemoteManagers: null },
      LiveRestoreEnabled: false, Isolation: '', InitBinary: '', ContainerdCommit: { ID: '' }, RuncCommit: { ID: '' }, InitCommit: { ID: '' },
      SecurityOptions: ['name=seccomp,profile=builtin'], Warnings: null,
    };
  }

  async df(): Promise<import('./types.js').SystemDf> {
    const containers = await this.listContainers({ all: true, size: true, filters: {} });
    const images = await this.listImages();
    const vols = this.volumes.list({}, () => false).map((v) => ({ ...v, UsageData: { Size: 0, RefCount: this.volumeUsers(v.Name).length } }));
    return { LayersSize: images.reduce((n, i) => n + i.Size, 0), Images: images, Containers: containers, Volumes: vols, BuildCache: [] };
  }

  events(opts: { since?: number; until?: number; filters: Filters }): ApiStream<import('./types.js').EventMessage> {
    return this.eventLog.stream(opts, () => { this.openStreams++; }, () => { this.openStreams--; });
  }

  // ---- containers ----

  private summary(c: FakeContainer, size: boolean): ContainerSummary {
    const s: ContainerSummary = {
      Id: c.id, Names: [`/${c.name}`], Image: c.config.Image ?? '', ImageID: c.image.id, Command: c.argv().join(' '),
      Created: Math.floor(c.created.getTime() / 1000), Ports: [], Labels: c.config.Labels ?? {}, State: c.status,
      Status: humanStatus(c), HostConfig: { NetworkMode: c.config.HostConfig?.NetworkMode || 'bridge' },
      NetworkSettings: { Networks: c.networks }, Mounts: c.mounts,
    };
    if (size) { s.SizeRw = c.fs.changes().length * 4096; s.SizeRootFs = c.image.size; }
    return s;
  }

  async listContainers(opts: Partial<ListContainersOptions> & { filters: Filters }): Promise<ContainerSummary[]> {
    const f = opts.filters;
    let cs = [...this.containers.values()].sort((a, b) => b.created.getTime() - a.created.getTime());
    const all = opts.all || (f['status']?.length ?? 0) > 0 || (f['exited']?.length ?? 0) > 0;
    cs = cs.filter((c) =>
      (all || c.running) &&
      (!f['status']?.length || f['status'].includes(c.status)) &&
      (!f['id']?.length || f['id'].some((x) => c.id.startsWith(x))) &&
      (!f['name']?.length || f['name'].some((x) => new RegExp(x.replace(/^\//, '')).test(c.name))) &&
      (!f['exited']?.length || (c.status === 'exited' && f['exited'].includes(String(c.exitCode)))) &&
      (!f['ancestor']?.length || f['ancestor'].some((x) => this.images.find(x)?.id === c.image.id)) &&
      (!f['volume']?.length || f['volume'].some((v) => c.mounts.some((m) => m.Name === v || m.Destination === v))) &&
      (!f['network']?.length || f['network'].some((n) => Object.keys(c.networks).includes(n))) &&
      labelMatch(c.config.Labels, f['label']));
    if (opts.limit !== undefined && opts.limit > 0) cs = cs.slice(0, opts.limit);
    return cs.map((c) => this.summary(c, opts.size === true));
  }

  private mountsFor(body: ContainerCreateBody): MountPoint[] {
    const mounts: MountPoint[] = [];
    const volume = (name: string | undefined, dst: string, rw: boolean): void => {
      const v = this.volumes.create({ Name: name });
      mounts.push({ Type: 'volume', Name: v.Name, Source: v.Mountpoint, Destination: dst, Driver: 'local', Mode: rw ? 'z' : 'ro', RW: rw, Propagation: '' });
    };
    for (const b of body.HostConfig?.Binds ?? []) {
      const [src = '', dst = '', mode = ''] = b.split(':');
      if (src.startsWith('/')) mounts.push({ Type: 'bind', Source: src, Destination: dst, Mode: mode, RW: !mode.includes('ro'), Propagation: 'rprivate' });
      else volume(src, dst, !mode.includes('ro'));
    }
    for (const m of body.HostConfig?.Mounts ?? []) {
      if (m.Type === 'volume') volume(m.Source || undefined, m.Target, !m.ReadOnly);
      else mounts.push({ Type: m.Type, Source: m.Source ?? '', Destination: m.Target, Mode: '', RW: !m.ReadOnly, Propagation: 'rprivate' });
    }
    for (const dst of Object.keys(body.Volumes ?? {})) if (!mounts.some((m) => m.Destination === dst)) volume(undefined, dst, true);
    return mounts;
  }

  async createContainer(name: string | undefined, body: ContainerCreateBody): Promise<{ Id: string; Warnings: string[] }> {
    const image = this.images.get(body.Image ?? '');
    const finalName = name ?? `${ADJ[randomBytes(1)[0]! % ADJ.length]}_${NOUN[randomBytes(1)[0]! % NOUN.length]}_${randomBytes(2).toString('hex')}`;
    const clash = [...this.containers.values()].find((c) => c.name === finalName);
    if (clash) throw new BerthError('BERTH_ECONFLICT', `Conflict. The container name "/${finalName}" is already in use by container "${clash.id}". You have to remove (or rename) that container to be able to reuse that name.`);
    const mode = body.HostConfig?.NetworkMode || 'bridge';
    const net = mode === 'default' ? 'bridge' : mode;
    const network = ['host', 'none'].includes(net) ? undefined : this.networks.get(net);
    const id = newId();
    const c = new FakeContainer(id, finalName, body, image, new Date(), {
      track: (ch) => this.track(ch),
      event: (action, attrs) => { const cc = this.containers.get(id); if (cc) this.event(cc, action, attrs); },
      exited: () => { const cc = this.containers.get(id); if (cc?.config.HostConfig?.AutoRemove) void this.removeContainer(id, { force: true, volumes: true, link: false }); },
    });
    c.mounts = this.mountsFor(body);
    this.containers.set(id, c);
    if (network) this.attachNetwork(c, network.Id);
    this.event(c, 'create');
    return { Id: id, Warnings: [] };
  }

  private attachNetwork(c: FakeContainer, netId: string): void {
    const n = this.networks.get(netId);
    const ip = `172.17.0.${2 + Object.keys(n.Containers).length}`;
    n.Containers[c.id] = { Name: c.name, EndpointID: newId(), MacAddress: '02:42:ac:11:00:02', IPv4Address: `${ip}/16`, IPv6Address: '' };
    c.networks[n.Name] = { NetworkID: n.Id, EndpointID: n.Containers[c.id]!.EndpointID, Gateway: '172.17.0.1', IPAddress: ip, IPPrefixLen: 16, MacAddress: '02:42:ac:11:00:02', Aliases: null, Links: null, DNSNames: null };
  }

  async inspectContainer(id: string, opts: { size: boolean } = { size: false }): Promise<ContainerInspect> {
    const c = this.find(id);
    const argv = c.argv();
    const out: ContainerInspect = {
      Id: c.id, Created: c.created.toISOString(), Path: argv[0] ?? '', Args: argv.slice(1),
      State: {
        Status: c.status, Running: c.running, Paused: c.status === 'paused', Restarting: false, OOMKilled: false, Dead: false,
        Pid: c.pid, ExitCode: c.exitCode, Error: '', StartedAt: c.startedAt, FinishedAt: c.finishedAt,
      },
      Image: c.image.id, ResolvConfPath: '', HostnamePath: '', HostsPath: '', LogPath: '', Name: `/${c.name}`,
      RestartCount: c.restartCount, Driver: 'overlay', Platform: 'linux', MountLabel: '', ProcessLabel: '', AppArmorProfile: '',
      ExecIDs: c.execIds.length ? c.execIds : null, HostConfig: { NetworkMode: 'bridge', ...(c.config.HostConfig ?? {}) },
      GraphDriver: { Name: 'overlay', Data: null }, Mounts: c.mounts,
      Config: {
        Hostname: c.id.slice(0, 12), Image: c.config.Image, Cmd: c.config.Cmd ?? c.image.config.Cmd ?? null,
        Entrypoint: c.config.Entrypoint ?? null, Env: c.env(), Tty: c.tty, OpenStdin: c.config.OpenStdin === true,
        StdinOnce: c.config.StdinOnce === true, AttachStdin: c.config.AttachStdin === true, AttachStdout: c.config.AttachStdout === true,
        AttachStderr: c.config.AttachStderr === true, Labels: c.config.Labels ?? {}, WorkingDir: c.config.WorkingDir ?? '', User: c.config.User ?? '',
      },
      NetworkSettings: { Bridge: '', SandboxID: '', SandboxKey: '', Ports: {}, Networks: c.networks, IPAddress: c.networks['bridge']?.IPAddress ?? '' },
    };
    if (opts.size) { out.SizeRw = c.fs.changes().length * 4096; out.SizeRootFs = c.image.size; }
    return out;
  }

  async startContainer(id: string): Promise<Changed> { return this.find(id).start(); }

  async stopContainer(id: string, opts: { signal?: string; timeout?: number }): Promise<Changed> {
    return this.find(id).stop(opts.signal);
  }

  async restartContainer(id: string, opts: { signal?: string; timeout?: number }): Promise<void> {
    const c = this.find(id);
    await c.stop(opts.signal);
    c.restartCount++;
    c.start();
    this.event(c, 'restart');
  }

  async killContainer(id: string, signal: string): Promise<void> { await this.find(id).signal(signal); }
  async pauseContainer(id: string): Promise<void> { this.find(id).pause(); }
  async unpauseContainer(id: string): Promise<void> { this.find(id).unpause(); }

  async waitContainer(id: string, condition: WaitCondition, signal: AbortSignal): Promise<{ done: Promise<import('./types.js').ContainerWaitResponse> }> {
    const c = this.find(id);
    return { done: c.waitFor(condition, signal) };
  }

  private volumeUsers(name: string): string[] {
    return [...this.containers.values()].filter((c) => c.mounts.some((m) => m.Name === name)).map((c) => c.id);
  }

  async removeContainer(id: string, opts: RemoveContainerOptions): Promise<void> {
    const c = this.find(id);
    if (c.running && !opts.force) {
      throw new BerthError('BERTH_ECONFLICT', `cannot remove container "/${c.name}": container is ${c.status}: stop the container before removing or force remove`);
    }
    if (c.running) await c.signal('SIGKILL');
    if (!this.containers.has(c.id)) return;
    this.containers.delete(c.id);
    for (const n of this.networks.nets.values()) delete n.Containers[c.id];
    for (const e of c.execIds) this.execs.delete(e);
    if (opts.volumes) {
      for (const m of c.mounts) {
        if (m.Type === 'volume' && m.Name && this.volumes.vols.get(m.Name)?.Labels?.['com.docker.volume.anonymous'] !== undefined && this.volumeUsers(m.Name).length === 0) {
          this.volumes.remove(m.Name, []);
        }
      }
    }
    this.event(c, 'destroy');
    c.dispose();
  }

  async pruneContainers(filters: Filters): Promise<{ ContainersDeleted: string[] | null; SpaceReclaimed: number }> {
    const gone: string[] = [];
    for (const c of [...this.containers.values()]) {
      if (c.running || !labelMatch(c.config.Labels, filters['label'])) continue;
      await this.removeContainer(c.id, { force: false, volumes: false, link: false });
      gone.push(c.id);
    }
    return { ContainersDeleted: gone.length ? gone : null, SpaceReclaimed: 0 };
  }

  async renameContainer(id: string, newName: string): Promise<void> {
    const c = this.find(id);
    const clash = [...this.containers.values()].find((o) => o.name === newName && o !== c);
    if (clash) throw new BerthError('BERTH_ECONFLICT', `Conflict. The container name "/${newName}" is already in use by container "${clash.id}". You have to remove (or rename) that container to be able to reuse that name.`);
    const old = c.name;
    c.name = newName;
    this.event(c, 'rename', { oldName: `/${old}` });
  }

  async logs(id: string, opts: LogsOptions): Promise<{ tty: boolean; entries: ApiStream<LogEntry> }> {
    const c = this.find(id);
    let hist = c.logs.filter((e) => (e.stream === 'stdout' ? opts.stdout : opts.stderr)
      && (opts.since <= 0 || Date.parse(e.time) / 1000 >= opts.since) && (opts.until <= 0 || Date.parse(e.time) / 1000 <= opts.until));
    if (opts.tail !== 'all') hist = opts.tail === 0 ? [] : hist.slice(-opts.tail);
    if (opts.follow && opts.until <= 0) return { tty: c.tty, entries: c.followLogs(hist) };
    return { tty: c.tty, entries: this.track(streamOf(hist)) };
  }

  async top(id: string): Promise<import('./types.js').ContainerTop> {
    const c = this.find(id);
    if (!c.running) throw new BerthError('BERTH_ESTATE', `container ${c.id} is not running`);
    return { Titles: ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD'], Processes: [['root', String(c.pid), '1', '0', '00:00', '?', '00:00:00', c.argv().join(' ')]] };
  }

  private sample(c: FakeContainer, n: number): ContainerStats {
    const cpu = (k: number) => ({ cpu_usage: { total_usage: k * 1e7, usage_in_kernelmode: 0, usage_in_usermode: k * 1e7 }, system_cpu_usage: k * 1e9, online_cpus: 1, throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 } });
    return {
      id: c.id, name: `/${c.name}`, read: nanoTime(), preread: n === 0 ? '0001-01-01T00:00:00Z' : nanoTime(new Date(Date.now() - 1000)),
      pids_stats: { current: c.running ? 1 : 0 }, num_procs: 0, cpu_stats: cpu(n + 1), precpu_stats: n === 0 ? { cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 }, throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 } } : cpu(n),
      memory_stats: c.running ? { usage: 1 << 20, limit: 1 << 30, stats: {} } : {}, blkio_stats: { io_service_bytes_recursive: null },
      networks: { eth0: { rx_bytes: 0, rx_packets: 0, rx_errors: 0, rx_dropped: 0, tx_bytes: 0, tx_packets: 0, tx_errors: 0, tx_dropped: 0 } },
    };
  }

  async stats(id: string, opts: { stream: boolean }): Promise<ApiStream<ContainerStats>> {
    const c = this.find(id);
    if (!opts.stream) return this.track(streamOf([this.sample(c, 1)]));
    const ch = this.track(new Channel<ContainerStats>(4));
    let n = 0;
    void ch.push(this.sample(c, n++));
    const timer = setInterval(() => { void ch.push(this.sample(c, n++)); }, 1000);
    ch.onClose(() => clearInterval(timer));
    return ch;
  }

  async attach(id: string, opts: AttachOptions): Promise<StdioSession> { return this.find(id).attach(opts); }

  async resizeContainer(id: string): Promise<void> {
    const c = this.find(id);
    if (!c.running) throw new BerthError('BERTH_ESTATE', `cannot resize container ${c.id}: container is not running`);
  }

  async changes(id: string): Promise<import('./types.js').ContainerChange[]> { return this.find(id).fs.changes(); }

  async exportContainer(id: string): Promise<ApiStream<Buffer>> {
    return this.track(streamOf([this.find(id).fs.exportTar()]));
  }

  async statPath(id: string, path: string): Promise<import('./types.js').PathStat> { const c = this.find(id); return c.fs.stat(path, c.id); }

  async getArchive(id: string, path: string): Promise<{ stat: import('./types.js').PathStat; tar: ApiStream<Buffer> }> {
    const c = this.find(id);
    const stat = c.fs.stat(path, c.id);
    return { stat, tar: this.track(streamOf([c.fs.archive(path, c.id)])) };
  }

  async putArchive(id: string, path: string, tar: Readable, opts: ArchivePutOptions): Promise<void> {
    const c = this.find(id);
    c.fs.stat(path, c.id);
    c.fs.extract(path, await readAll(tar), c.id, opts.noOverwriteDirNonDir);
  }

  // ---- exec ----

  private findExec(id: string): FakeExec {
    const e = this.execs.get(id);
    if (!e) throw new BerthError('BERTH_ENOTFOUND', `No such exec instance: ${id}`);
    return e;
  }

  async createExec(containerId: string, body: ExecCreateBody): Promise<{ Id: string }> {
    const c = this.find(containerId);
    if (!c.running) throw new BerthError('BERTH_ESTATE', `container ${c.id} is not running`);
    if (c.status === 'paused') throw new BerthError('BERTH_ESTATE', `container ${c.id} is paused, unpause the container before exec`);
    const id = newId();
    this.execs.set(id, { id, container: c, body, running: false, exitCode: null, pid: 0, started: false });
    c.execIds.push(id);
    this.event(c, `exec_create: ${body.Cmd.join(' ')}`, { execID: id });
    return { Id: id };
  }

  async startExec(id: string, opts: { detach: boolean; tty: boolean }): Promise<StdioSession | null> {
    const e = this.findExec(id);
    if (e.started) throw new BerthError('BERTH_ESTATE', `Error: Exec command ${id} has already run`);
    if (!e.container.running) throw new BerthError('BERTH_ESTATE', `container ${e.container.id} is not running`);
    e.started = true;
    e.running = true;
    e.pid = 2000 + Math.floor(Math.random() * 30000);
    const tty = opts.tty || e.body.Tty === true;
    const abort = new AbortController();
    const out = opts.detach ? undefined : this.track(new Channel<OutputChunk>(64));
    const stdin = e.body.AttachStdin && !opts.detach ? new Channel<Buffer>(16) : undefined;
    const io = {
      out: async (s: 'stdout' | 'stderr', d: string) => {
        const want = s === 'stdout' ? e.body.AttachStdout !== false : e.body.AttachStderr !== false;
        if (out && want) await out.push({ stream: tty ? 'stdout' : s, data: Buffer.from(tty ? d.replace(/\r?\n/g, '\r\n') : d) });
      },
      stdin: stdin ?? (async function* (): AsyncGenerator<Buffer> { /* no stdin */ })(),
      env: [...e.container.env(), ...(e.body.Env ?? [])], hostname: e.container.id.slice(0, 12), signal: abort.signal,
    };
    this.event(e.container, `exec_start: ${e.body.Cmd.join(' ')}`, { execID: id });
    void runProgram(e.body.Cmd, io).then((code) => {
      e.running = false;
      e.exitCode = code;
      stdin?.end();
      out?.end();
      this.event(e.container, 'exec_die', { execID: id, exitCode: String(code) });
    });
    if (!out) return null;
    // A fake exec dies with its session, so a test cannot leave a spinning program behind.
    out.onClose(() => { if (e.running) abort.abort(9); });
    const session: StdioSession = { tty, output: out, close: () => out.close() };
    if (stdin) {
      session.writeStdin = async (d) => { await stdin.push(d); };
      session.closeStdin = () => stdin.end();
    }
    return session;
  }

  async inspectExec(id: string): Promise<ExecInspect> {
    const e = this.findExec(id);
    return {
      ID: e.id, Running: e.running, ExitCode: e.exitCode, CanRemove: false, DetachKeys: '', OpenStdin: e.body.AttachStdin === true,
      OpenStdout: e.body.AttachStdout !== false, OpenStderr: e.body.AttachStderr !== false, ContainerID: e.container.id, Pid: e.pid,
      ProcessConfig: { tty: e.body.Tty === true, entrypoint: e.body.Cmd[0] ?? '', arguments: e.body.Cmd.slice(1), privileged: e.body.Privileged === true, user: e.body.User ?? '' },
    };
  }

  async resizeExec(id: string): Promise<void> { this.findExec(id); }

  // ---- images ----

  private imageUsers(img: FakeImage): FakeContainer[] {
    return [...this.containers.values()].filter((c) => c.image.id === img.id);
  }

  async listImages(opts?: { filters: Filters }): Promise<import('./types.js').ImageSummary[]> {
    const f = opts?.filters ?? {};
    return [...this.images.images.values()]
      .filter((i) => (!f['reference']?.length || f['reference'].some((r) => i.repoTags.some((t) => t === normalizeRef(r) || t.startsWith(r.replace(/:.*$/, '') + ':'))))
        && (!f['dangling']?.length || f['dangling'].every((d) => (d === 'true' || d === '1') === (i.repoTags.length === 0)))
        && labelMatch(i.config.Labels, f['label']))
      .sort((a, b) => b.created.getTime() - a.created.getTime())
      .map((i) => this.images.summary(i, this.imageUsers(i).length));
  }

  async pullImage(opts: PullOptions): Promise<ApiStream<ProgressMessage>> {
    const ref = opts.tag && !opts.fromImage.includes('@') ? `${opts.fromImage}:${opts.tag}` : opts.fromImage;
    const gen = this.images.pull(ref);
    // Fail before the stream starts for an unknown image (a 404, as docker answers).
    const first = await gen.next();
    const events = this.eventLog;
    async function* rest(): AsyncGenerator<ProgressMessage> {
      if (!first.done) yield first.value;
      yield* gen;
      events.emit('image', 'pull', normalizeRef(ref), { name: normalizeRef(ref) });
    }
    return fromGenerator(rest(), (c) => this.track(c));
  }

  async pushImage(name: string, opts: { tag?: string }): Promise<ApiStream<ProgressMessage>> {
    this.images.get(opts.tag ? `${name}:${opts.tag}` : name);
    return fromGenerator(this.images.push(name, opts.tag), (c) => this.track(c));
  }

  async tagImage(source: string, repo: string, tag: string): Promise<void> {
    this.images.tag(source, repo, tag);
    this.eventLog.emit('image', 'tag', this.images.get(source).id, { name: normalizeRef(`${repo}:${tag}`) });
  }

  async removeImage(name: string, opts: { force: boolean }): Promise<import('./types.js').ImageDeleteItem[]> {
    const out = this.images.remove(name, opts.force, (img) => this.imageUsers(img)[0]?.id);
    for (const item of out) this.eventLog.emit('image', 'Deleted' in item ? 'delete' : 'untag', 'Deleted' in item ? item.Deleted : item.Untagged);
    return out;
  }

  async inspectImage(name: string): Promise<import('./types.js').ImageInspect> { return this.images.inspect(this.images.get(name)); }
  async imageHistory(name: string): Promise<import('./types.js').ImageHistoryItem[]> { return this.images.history(this.images.get(name)); }

  async saveImages(names: string[]): Promise<ApiStream<Buffer>> {
    const tar = this.images.save(names);
    // In pieces, so a slow reader exercises backpressure.
    const parts: Buffer[] = [];
    for (let i = 0; i < tar.length; i += 16 * 1024) parts.push(tar.subarray(i, i + 16 * 1024));
    return this.track(streamOf(parts));
  }

  async loadImages(tar: Readable): Promise<ApiStream<ProgressMessage>> {
    const lines = this.images.load(await readAll(tar));
    return this.track(streamOf(lines));
  }

  async pruneImages(filters: Filters): Promise<import('./types.js').ImagePruneResponse> {
    const danglingOnly = !(filters['dangling'] ?? []).some((d) => d === 'false' || d === '0');
    const deleted: import('./types.js').ImageDeleteItem[] = [];
    for (const img of [...this.images.images.values()]) {
      if (this.imageUsers(img).length > 0 || (danglingOnly && img.repoTags.length > 0)) continue;
      this.images.images.delete(img.id);
      deleted.push(...img.repoTags.map((t) => ({ Untagged: t })), { Deleted: img.id });
    }
    return { ImagesDeleted: deleted.length ? deleted : null, SpaceReclaimed: 0 };
  }

  // ---- networks ----

  async listNetworks(filters: Filters): Promise<import('./types.js').NetworkInspect[]> { return this.networks.list(filters); }
  async createNetwork(body: import('./types.js').NetworkCreateBody): Promise<{ Id: string; Warning: string }> { return this.networks.create(body); }
  async inspectNetwork(id: string): Promise<import('./types.js').NetworkInspect> { return this.networks.get(id); }
  async removeNetwork(id: string): Promise<void> { this.networks.remove(id); }
  async pruneNetworks(): Promise<{ NetworksDeleted: string[] | null }> { const g = this.networks.prune(); return { NetworksDeleted: g.length ? g : null }; }

  async connectNetwork(id: string, body: NetworkConnectBody): Promise<void> {
    const n = this.networks.get(id);
    const c = this.find(body.Container);
    if (n.Containers[c.id]) throw new BerthError('BERTH_ECONFLICT', `endpoint with name ${c.name} already exists in network ${n.Name}`);
    this.attachNetwork(c, n.Id);
    this.eventLog.emit('network', 'connect', n.Id, { container: c.id, name: n.Name, type: n.Driver });
  }

  async disconnectNetwork(id: string, body: NetworkDisconnectBody): Promise<void> {
    const n = this.networks.get(id);
    const c = this.find(body.Container);
    if (!n.Containers[c.id]) throw new BerthError('BERTH_ECONFLICT', `container ${c.id} is not connected to network ${n.Name}`);
    delete n.Containers[c.id];
    delete c.networks[n.Name];
    this.eventLog.emit('network', 'disconnect', n.Id, { container: c.id, name: n.Name, type: n.Driver });
  }

  // ---- volumes ----

  async listVolumes(filters: Filters): Promise<import('./types.js').VolumeListResponse> {
    return { Volumes: this.volumes.list(filters, (n) => this.volumeUsers(n).length > 0), Warnings: null };
  }
  async createVolume(body: VolumeCreateBody): Promise<import('./types.js').Volume> { return this.volumes.create(body); }
  async inspectVolume(name: string): Promise<import('./types.js').Volume> { return this.volumes.get(name); }
  async removeVolume(name: string): Promise<void> { this.volumes.remove(name, this.volumeUsers(name)); }

  async pruneVolumes(filters: Filters): Promise<{ VolumesDeleted: string[] | null; SpaceReclaimed: number }> {
    const all = (filters['all'] ?? []).some((v) => v === 'true' || v === '1');
    const gone: string[] = [];
    for (const v of this.volumes.list({ label: filters['label'] ?? [] }, () => false)) {
      if (this.volumeUsers(v.Name).length > 0) continue;
      if (!all && v.Labels?.['com.docker.volume.anonymous'] === undefined) continue;
      this.volumes.remove(v.Name, []);
      gone.push(v.Name);
    }
    return { VolumesDeleted: gone.length ? gone : null, SpaceReclaimed: 0 };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const c of this.containers.values()) if (c.running) await c.signal('SIGKILL').catch(() => {});
  }
}
