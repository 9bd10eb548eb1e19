// What the API server needs from the engine, the image store and the network layer. The server
// speaks HTTP and Docker's wire formats; the backend speaks records. The engine adapter
// (engine/index.ts) and the in-memory fake (fake-backend.ts) both implement it; see
// docs/api.md for what each method maps to in src/engine, src/image and src/network.
//
// Errors: throw BerthError. The server maps codes to statuses (ENOTFOUND 404, EEXIST/ECONFLICT/
// ESTATE 409, EINVAL/EREFERENCE 400, EUNSUPPORTED 501, EAUTH 401, others 500) and puts the message
// in `{"message": …}`, so messages should read like Docker's ("No such container: x").
//
// Streams: every stream is pulled (async iteration), so a slow client slows only its own
// producer; `close()` is called exactly once when the client goes away or the response ends, and
// must release whatever the stream holds (log followers, event subscriptions, attach slots).
import type { Readable } from 'node:stream';
import type {
  ContainerChange, ContainerCreateBody, ContainerCreateResponse, ContainerInspect, ContainerPruneResponse,
  ContainerStats, ContainerSummary, ContainerTop, ContainerWaitResponse, EventMessage, ExecCreateBody,
  ExecInspect, Filters, ImageDeleteItem, ImageHistoryItem, ImageInspect, ImagePruneResponse, ImageSummary,
  NetworkConnectBody, NetworkCreateBody, NetworkDisconnectBody, NetworkInspect, PathStat, ProgressMessage,
  RegistryAuth, SystemDf, SystemInfo, Volume, VolumeCreateBody, VolumeListResponse,
} from './types.js';

/** A pull-based stream the server drains at the client's pace; `close()` ends it early. */
export interface ApiStream<T> extends AsyncIterable<T> {
  close(): void;
}

export type StdStream = 'stdin' | 'stdout' | 'stderr';
export interface OutputChunk { stream: 'stdout' | 'stderr'; data: Buffer }
export interface LogEntry extends OutputChunk { /** RFC 3339 with nanoseconds, as docker prints with --timestamps. */ time: string }

/** An attached stdio session (container attach or exec start). */
export interface StdioSession {
  /** With a tty the output is one raw stream; without, stdout and stderr are framed apart. */
  tty: boolean;
  /** Ends when the process exits (or the session closes). */
  output: ApiStream<OutputChunk>;
  /** Present when stdin was asked for and the process has it open. Resolves when the bytes are taken. */
  writeStdin?(data: Buffer): Promise<void>;
  /** The client closed its write side: close the process's stdin (with StdinOnce, docker's rule). */
  closeStdin?(): void;
  /** Ends the session without stopping the process. */
  close(): void;
}

/** Change only when the state changed: 304 for starting a running or stopping a stopped container. */
export type Changed = 'changed' | 'unchanged';

export interface ListContainersOptions { all: boolean; limit?: number; size: boolean; filters: Filters }
export interface LogsOptions {
  stdout: boolean; stderr: boolean; follow: boolean;
  /** Unix seconds (fractional); 0 for no bound. */
  since: number; until: number;
  /** Lines from the end; 'all' for every line. */
  tail: number | 'all';
}
export interface AttachOptions { stdin: boolean; stdout: boolean; stderr: boolean; stream: boolean; logs: boolean; detachKeys?: string }
export interface RemoveContainerOptions { force: boolean; volumes: boolean; link: boolean }
export type WaitCondition = 'not-running' | 'next-exit' | 'removed';
export interface ArchivePutOptions { noOverwriteDirNonDir: boolean; copyUIDGID: boolean }

export interface PullOptions { fromImage: string; tag?: string; platform?: string; auth?: RegistryAuth }
export interface ImportOptions { fromSrc: string; repo?: string; tag?: string; message?: string; changes: string[]; platform?: string }
export interface BuildOptions {
  dockerfile: string; tags: string[]; buildArgs: Record<string, string>; labels: Record<string, string>;
  target?: string; noCache: boolean; pull: boolean; rm: boolean; forceRm: boolean; quiet: boolean; platform?: string;
}
export interface CommitOptions { container: string; repo?: string; tag?: string; comment?: string; author?: string; pause: boolean; changes: string[]; config?: ContainerCreateBody }

export interface EngineIdentity {
  /** berth's version, shown as the server's engine version. */
  version: string; gitCommit: string; os: string; arch: string; kernelVersion: string;
  /** Extra components for `/version` (runtime, monitor …). */
  components: Array<{ Name: string; Version: string; Details?: Record<string, string> }>;
}

export interface ApiBackend {
  // ---- system ----
  identity(): Promise<EngineIdentity>;
  info(): Promise<SystemInfo>;
  df(opts: { types: string[] }): Promise<SystemDf>;
  /** Past events (since/until) then live ones until `until` passes or the stream closes. */
  events(opts: { since?: number; until?: number; filters: Filters }): ApiStream<EventMessage>;

  // ---- containers ----
  listContainers(opts: ListContainersOptions): Promise<ContainerSummary[]>;
  createContainer(name: string | undefined, body: ContainerCreateBody, opts: { platform?: string }): Promise<ContainerCreateResponse>;
  inspectContainer(id: string, opts: { size: boolean }): Promise<ContainerInspect>;
  startContainer(id: string, opts: { detachKeys?: string }): Promise<Changed>;
  /** `timeout` in seconds; undefined for the container's own StopTimeout (default 10). */
  stopContainer(id: string, opts: { signal?: string; timeout?: number }): Promise<Changed>;
  restartContainer(id: string, opts: { signal?: string; timeout?: number }): Promise<void>;
  killContainer(id: string, signal: string): Promise<void>;
  pauseContainer(id: string): Promise<void>;
  unpauseContainer(id: string): Promise<void>;
  /**
   * Resolves once the waiter is registered (or rejects: no such container); `done` resolves when
   * the condition holds. The server sends the response head in between, which `docker run` waits
   * for before it starts the container, so registration must come first. `signal` aborts when the
   * client goes away.
   */
  waitContainer(id: string, condition: WaitCondition, signal: AbortSignal): Promise<{ done: Promise<ContainerWaitResponse> }>;
  removeContainer(id: string, opts: RemoveContainerOptions): Promise<void>;
  pruneContainers(filters: Filters): Promise<ContainerPruneResponse>;
  renameContainer(id: string, newName: string): Promise<void>;
  /** The log history and, with follow, new lines until the container stops. */
  logs(id: string, opts: LogsOptions): Promise<{ tty: boolean; entries: ApiStream<LogEntry> }>;
  top(id: string, psArgs: string): Promise<ContainerTop>;
  /** One sample when `stream` is false, else a sample a second until the stream closes. */
  stats(id: string, opts: { stream: boolean; oneShot: boolean }): Promise<ApiStream<ContainerStats>>;
  attach(id: string, opts: AttachOptions): Promise<StdioSession>;
  resizeContainer(id: string, height: number, width: number): Promise<void>;
  changes(id: string): Promise<ContainerChange[]>;
  /** The container's filesystem as one tar. */
  exportContainer(id: string): Promise<ApiStream<Buffer>>;
  statPath(id: string, path: string): Promise<PathStat>;
  getArchive(id: string, path: string): Promise<{ stat: PathStat; tar: ApiStream<Buffer> }>;
  putArchive(id: string, path: string, tar: Readable, opts: ArchivePutOptions): Promise<void>;
  updateContainer?(id: string, body: Record<string, unknown>): Promise<{ Warnings: string[] }>;
  commitContainer?(opts: CommitOptions): Promise<{ Id: string }>;

  // ---- exec ----
  createExec(containerId: string, body: ExecCreateBody): Promise<{ Id: string }>;
  /** With detach: starts it and resolves null. Otherwise the attached session. */
  startExec(id: string, opts: { detach: boolean; tty: boolean; consoleSize?: [number, number] }): Promise<StdioSession | null>;
  inspectExec(id: string): Promise<ExecInspect>;
  resizeExec(id: string, height: number, width: number): Promise<void>;

  // ---- images ----
  listImages(opts: { all: boolean; filters: Filters; digests: boolean; sharedSize: boolean }): Promise<ImageSummary[]>;
  /** Progress lines; an error thrown while iterating becomes an in-stream errorDetail. */
  pullImage(opts: PullOptions): Promise<ApiStream<ProgressMessage>>;
  importImage?(source: Readable, opts: ImportOptions): Promise<ApiStream<ProgressMessage>>;
  pushImage(name: string, opts: { tag?: string; auth?: RegistryAuth }): Promise<ApiStream<ProgressMessage>>;
  tagImage(source: string, repo: string, tag: string): Promise<void>;
  removeImage(name: string, opts: { force: boolean; noprune: boolean }): Promise<ImageDeleteItem[]>;
  inspectImage(name: string): Promise<ImageInspect>;
  imageHistory(name: string): Promise<ImageHistoryItem[]>;
  /** A docker-archive tar of the named images. */
  saveImages(names: string[]): Promise<ApiStream<Buffer>>;
  loadImages(tar: Readable, opts: { quiet: boolean }): Promise<ApiStream<ProgressMessage>>;
  pruneImages(filters: Filters): Promise<ImagePruneResponse>;
  /** Absent until the builder is wired; the server then answers with a clear error. */
  build?(context: Readable, opts: BuildOptions): Promise<ApiStream<ProgressMessage>>;

  // ---- networks ----
  listNetworks(filters: Filters): Promise<NetworkInspect[]>;
  createNetwork(body: NetworkCreateBody): Promise<{ Id: string; Warning: string }>;
  inspectNetwork(id: string, opts: { verbose: boolean; scope?: string }): Promise<NetworkInspect>;
  removeNetwork(id: string): Promise<void>;
  pruneNetworks(filters: Filters): Promise<{ NetworksDeleted: string[] | null }>;
  connectNetwork(id: string, body: NetworkConnectBody): Promise<void>;
  disconnectNetwork(id: string, body: NetworkDisconnectBody): Promise<void>;

  // ---- volumes ----
  listVolumes(filters: Filters): Promise<VolumeListResponse>;
  createVolume(body: VolumeCreateBody): Promise<Volume>;
  inspectVolume(name: string): Promise<Volume>;
  removeVolume(name: string, opts: { force: boolean }): Promise<void>;
  pruneVolumes(filters: Filters): Promise<{ VolumesDeleted: string[] | null; SpaceReclaimed: number }>;

  /** Called once when the service stops. */
  close?(): Promise<void>;
}
