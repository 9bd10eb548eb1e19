// The ApiBackend over berth's engine, image store and networks. Each area is a module of its own
// (containers, lifecycle, attach, logs, wait, exec, archive, stats, images, registry, image-archives,
// build, networks, volumes, system, events); this class only routes the interface to them.
// docs/api.md lists what each method maps to.
import type { Readable } from 'node:stream';
import { Engine } from '../../engine/engine.js';
import type {
  ApiBackend, ApiStream, ArchivePutOptions, AttachOptions, BuildOptions, Changed, EngineIdentity, ImportOptions, ListContainersOptions,
  LogEntry, LogsOptions, PullOptions, RemoveContainerOptions, StdioSession, WaitCondition,
} from '../backend.js';
import type {
  ContainerChange, ContainerCreateBody, ContainerCreateResponse, ContainerInspect, ContainerPruneResponse, ContainerStats,
  ContainerSummary, ContainerTop, ContainerWaitResponse, EventMessage, ExecCreateBody, ExecInspect, Filters, ImageDeleteItem,
  ImageHistoryItem, ImageInspect, ImagePruneResponse, ImageSummary, NetworkConnectBody, NetworkCreateBody, NetworkDisconnectBody,
  NetworkInspect, PathStat, ProgressMessage, RegistryAuth, SystemDf, SystemInfo, Volume, VolumeCreateBody, VolumeListResponse,
} from '../types.js';
import * as archive from './archive.js';
import * as attach from './attach.js';
import { build } from './build.js';
import * as containers from './containers.js';
import * as execs from './exec.js';
import * as imageArchives from './image-archives.js';
import * as images from './images.js';
import * as lifecycle from './lifecycle.js';
import { logs } from './logs.js';
import * as networks from './networks.js';
import * as registry from './registry.js';
import { EngineApi } from './state.js';
import { stats } from './stats.js';
import * as system from './system.js';
import * as volumes from './volumes.js';
import { wait } from './wait.js';

export interface EngineBackendOptions { root: string; runRoot: string }

export class EngineBackend implements ApiBackend {
  readonly api: EngineApi;

  constructor(engine: Engine) {
    this.api = new EngineApi(engine);
  }

  // ---- system ----
  identity(): Promise<EngineIdentity> { return system.identity(this.api); }
  info(): Promise<SystemInfo> { return system.info(this.api); }
  df(): Promise<SystemDf> { return system.df(this.api); }
  events(opts: { since?: number; until?: number; filters: Filters }): ApiStream<EventMessage> { return this.api.journal.stream(opts); }

  // ---- containers ----
  listContainers(opts: ListContainersOptions): Promise<ContainerSummary[]> { return containers.list(this.api, opts); }
  createContainer(name: string | undefined, body: ContainerCreateBody): Promise<ContainerCreateResponse> { return containers.create(this.api, name, body); }
  inspectContainer(id: string, opts: { size: boolean }): Promise<ContainerInspect> { return containers.inspect(this.api, id, opts); }
  startContainer(id: string): Promise<Changed> { return lifecycle.start(this.api, id); }
  stopContainer(id: string, opts: { signal?: string; timeout?: number }): Promise<Changed> { return lifecycle.stop(this.api, id, opts); }
  restartContainer(id: string, opts: { signal?: string; timeout?: number }): Promise<void> { return lifecycle.restart(this.api, id, opts); }
  killContainer(id: string, signal: string): Promise<void> { return lifecycle.kill(this.api, id, signal); }
  pauseContainer(id: string): Promise<void> { return lifecycle.pause(this.api, id); }
  unpauseContainer(id: string): Promise<void> { return lifecycle.unpause(this.api, id); }
  waitContainer(id: string, condition: WaitCondition, signal: AbortSignal): Promise<{ done: Promise<ContainerWaitResponse> }> { return wait(this.api, id, condition, signal); }
  removeContainer(id: string, opts: RemoveContainerOptions): Promise<void> { return containers.remove(this.api, id, opts); }
  pruneContainers(filters: Filters): Promise<ContainerPruneResponse> { return containers.prune(this.api, filters); }
  renameContainer(id: string, newName: string): Promise<void> { return containers.rename(this.api, id, newName); }
  logs(id: string, opts: LogsOptions): Promise<{ tty: boolean; entries: ApiStream<LogEntry> }> { return logs(this.api, id, opts); }
  top(id: string, psArgs: string): Promise<ContainerTop> { return containers.top(this.api, id, psArgs); }
  stats(id: string, opts: { stream: boolean; oneShot: boolean }): Promise<ApiStream<ContainerStats>> { return stats(this.api, id, opts); }
  attach(id: string, opts: AttachOptions): Promise<StdioSession> { return attach.attach(this.api, id, opts); }
  resizeContainer(id: string, height: number, width: number): Promise<void> { return attach.resize(this.api, id, height, width); }
  changes(id: string): Promise<ContainerChange[]> { return containers.changes(this.api, id); }
  exportContainer(id: string): Promise<ApiStream<Buffer>> { return archive.exportFs(this.api, id); }
  statPath(id: string, path: string): Promise<PathStat> { return archive.statPath(this.api, id, path); }
  getArchive(id: string, path: string): Promise<{ stat: PathStat; tar: ApiStream<Buffer> }> { return archive.getArchive(this.api, id, path); }
  putArchive(id: string, path: string, tar: Readable, opts: ArchivePutOptions): Promise<void> { return archive.putArchive(this.api, id, path, tar, opts); }

  // ---- exec ----
  createExec(containerId: string, body: ExecCreateBody): Promise<{ Id: string }> { return execs.createExec(this.api, containerId, body); }
  startExec(id: string, opts: { detach: boolean; tty: boolean }): Promise<StdioSession | null> { return execs.startExec(this.api, id, opts); }
  inspectExec(id: string): Promise<ExecInspect> { return execs.inspectExec(this.api, id); }
  resizeExec(id: string): Promise<void> { return execs.resizeExec(this.api, id); }

  // ---- images ----
  listImages(opts: { all: boolean; filters: Filters }): Promise<ImageSummary[]> { return images.list(this.api, opts); }
  pullImage(opts: PullOptions): Promise<ApiStream<ProgressMessage>> { return registry.pull(this.api, opts); }
  importImage(source: Readable, opts: ImportOptions): Promise<ApiStream<ProgressMessage>> { return imageArchives.importImage(this.api, source, opts); }
  pushImage(name: string, opts: { tag?: string; auth?: RegistryAuth }): Promise<ApiStream<ProgressMessage>> { return registry.push(this.api, name, opts); }
  tagImage(source: string, repo: string, tag: string): Promise<void> { return images.tag(this.api, source, repo, tag); }
  removeImage(name: string, opts: { force: boolean }): Promise<ImageDeleteItem[]> { return images.remove(this.api, name, opts); }
  inspectImage(name: string): Promise<ImageInspect> { return images.inspect(this.api, name); }
  imageHistory(name: string): Promise<ImageHistoryItem[]> { return images.history(this.api, name); }
  saveImages(names: string[]): Promise<ApiStream<Buffer>> { return imageArchives.save(this.api, names); }
  loadImages(tar: Readable, opts: { quiet: boolean }): Promise<ApiStream<ProgressMessage>> { return imageArchives.load(this.api, tar, opts); }
  pruneImages(filters: Filters): Promise<ImagePruneResponse> { return images.prune(this.api, filters); }
  build(context: Readable, opts: BuildOptions): Promise<ApiStream<ProgressMessage>> { return build(this.api, context, opts); }

  // ---- networks ----
  listNetworks(filters: Filters): Promise<NetworkInspect[]> { return networks.list(this.api, filters); }
  createNetwork(body: NetworkCreateBody): Promise<{ Id: string; Warning: string }> { return networks.create(this.api, body); }
  inspectNetwork(id: string): Promise<NetworkInspect> { return networks.inspect(this.api, id); }
  removeNetwork(id: string): Promise<void> { return networks.remove(this.api, id); }
  pruneNetworks(filters: Filters): Promise<{ NetworksDeleted: string[] | null }> { return networks.prune(this.api, filters); }
  connectNetwork(id: string, body: NetworkConnectBody): Promise<void> { return networks.connect(this.api, id, body); }
  disconnectNetwork(id: string, body: NetworkDisconnectBody): Promise<void> { return networks.disconnect(this.api, id, body); }

  // ---- volumes ----
  listVolumes(filters: Filters): Promise<VolumeListResponse> { return volumes.list(this.api, filters); }
  createVolume(body: VolumeCreateBody): Promise<Volume> { return volumes.create(this.api, body); }
  inspectVolume(name: string): Promise<Volume> { return volumes.inspect(this.api, name); }
  removeVolume(name: string, opts: { force: boolean }): Promise<void> { return volumes.remove(this.api, name, opts); }
  pruneVolumes(filters: Filters): Promise<{ VolumesDeleted: string[] | null; SpaceReclaimed: number }> { return volumes.prune(this.api, filters); }

  /**
   * Runs this service started and has not seen exit are left to their monitors: once this process
   * is gone, a monitor's exit command does the cleanup itself.
   */
  async close(): Promise<void> {
    for (const w of [...this.api.owned.values()]) w.stop();
    for (const set of this.api.pendingAttach.values()) for (const p of set) p.cancel();
  }
}

export async function openEngineBackend(opts: EngineBackendOptions): Promise<ApiBackend> {
  return new EngineBackend(Engine.open({ root: opts.root, runRoot: opts.runRoot }));
}
