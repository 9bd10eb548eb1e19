// `create`: resolve the image, record the container (one transaction, name unique by constraint),
// prepare its snapshot, mount the rootfs, resolve user, volumes and hosts files, and write the OCI
// bundle. Each step's undo runs if a later one fails; a crash in between leaves a `creating` row
// that reconcile removes (its creator is dead).
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync, renameSync } from 'node:fs';
import { dirname, resolve as resolvePath } from 'node:path';
import { hostname as osHostname } from 'node:os';
import { BerthError } from '../errors.js';
import type { CreateRequest, HealthConfig, ResolvedConfig, StoredConfig } from './config.js';
import type { Engine } from './engine.js';
import { writeHostsFiles } from './hosts-files.js';
import { newContainerId, randomName, checkName, shortId } from './ids.js';
import type { ImageConfigBody, ImageRecord } from './images.js';
import { resolveInRoot } from './inroot.js';
import { mergeEnv } from './parse.js';
import { checkNetworkRequest, endpointsOf, isDefaultNetwork, joinedContainer, networkContext, sharedHostsFiles, specNetns } from './network.js';
import { containerPaths } from './paths.js';
import { deleteContainerRecord, getContainer, insertContainer, tx, updateContainer, type ContainerRecord } from './records.js';
import { mountRootfs, unmountAll } from './rootfs.js';
import { resolveRuntime } from './runtime-client.js';
import { buildSpec, type HostMount } from './spec.js';
import { trace } from './trace.js';
import { resolveUser } from './user.js';
import { createVolume, getVolume, removeVolume, seedVolume, volumeData } from './volumes.js';
import { warmAttachFor } from '../runtime/cgroups/index.js';

const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const INIT_CANDIDATES = ['/usr/bin/tini-static', '/usr/bin/catatonit', '/usr/libexec/podman/catatonit', '/usr/local/bin/tini-static'];

export function snapshotKey(id: string): string {
  return `container/${id}`;
}

export function findInitBinary(): string {
  for (const c of INIT_CANDIDATES) if (existsSync(c)) return c;
  throw new BerthError('BERTH_EUNSUPPORTED', '--init needs a static init binary: install the Debian package tini (tini-static) or catatonit');
}

function mergeHealth(image: ImageConfigBody['Healthcheck'], req: HealthConfig | undefined): HealthConfig | undefined {
  const test = req?.test !== undefined && req.test.length > 0 ? req.test : image?.Test;
  if (test === undefined || test.length === 0 || test[0] === 'NONE') return undefined;
  const pick = (a: number | undefined, b: number | undefined): number | undefined => (a !== undefined && a > 0 ? a : b !== undefined && b > 0 ? b : undefined);
  const out: HealthConfig = { test };
  const interval = pick(req?.interval, image?.Interval);
  const timeout = pick(req?.timeout, image?.Timeout);
  const startPeriod = pick(req?.startPeriod, image?.StartPeriod);
  const retries = pick(req?.retries, image?.Retries);
  if (interval !== undefined) out.interval = interval;
  if (timeout !== undefined) out.timeout = timeout;
  if (startPeriod !== undefined) out.startPeriod = startPeriod;
  if (retries !== undefined) out.retries = retries;
  return out;
}

export function processArgs(image: ImageConfigBody, req: CreateRequest): string[] {
  const entrypoint = req.entrypoint ?? image.Entrypoint ?? [];
  // docker: a new entrypoint drops the image's Cmd.
  const cmd = req.cmd.length > 0 ? req.cmd : req.entrypoint !== undefined ? [] : image.Cmd ?? [];
  const args = [...entrypoint, ...cmd];
  if (args.length === 0) throw new BerthError('BERTH_EINVAL', 'no command specified: the image has no Cmd or Entrypoint');
  return args;
}

/**
 * With --userns auto the container's root is an unprivileged host uid, which must still pass
 * through the directories above the storage root to reach its rootfs (as docker's userns-remap
 * needs /var/lib/docker/<uid>.<gid> reachable). Said now, rather than as the runtime's "permission
 * denied" on the rootfs.
 */
function checkReachableByMappedRoot(root: string): void {
  for (let dir = resolvePath(root); ; dir = dirname(dir)) {
    let mode: number;
    try {
      mode = statSync(dir).mode;
    } catch {
      mode = 0o755; // made later, by berth, with search permission for all
    }
    if ((mode & 0o001) === 0) {
      throw new BerthError('BERTH_EINVAL', `--userns auto: the container's root (an unprivileged host uid) cannot pass through ${dir} (mode ${(mode & 0o777).toString(8)}): give it search permission (chmod o+x) or use another --root`);
    }
    if (dir === '/') return;
  }
}

interface Undo {
  label: string;
  fn: () => Promise<void> | void;
}

export async function createContainer(engine: Engine, req: CreateRequest): Promise<ContainerRecord> {
  const runtime = resolveRuntime(req.runtime);
  if (req.userns !== undefined && req.userns !== '' && req.userns !== 'host' && req.userns !== 'auto') {
    throw new BerthError('BERTH_EUNSUPPORTED', `--userns ${req.userns}: only "host" and "auto" are supported`);
  }
  if (req.userns === 'auto' && req.privileged) throw new BerthError('BERTH_EINVAL', '--privileged and --userns auto cannot be combined');
  if (req.userns === 'auto') checkReachableByMappedRoot(engine.paths.root);
  const initBinary = req.init ? findInitBinary() : undefined;
  checkNetworkRequest(req);
  // docker resolves container:NAME once, at create: the container is tied to that one.
  const joined = joinedContainer(req.network);
  const joinedRec = joined !== undefined ? engine.find(joined) : undefined;
  if (joinedRec !== undefined) req.network = `container:${joinedRec.id}`;
  for (const e of endpointsOf(req)) {
    if (isDefaultNetwork(e.name)) continue;
    const { networkDb, getNetwork } = await import('../network/store.js');
    const net = getNetwork(networkDb(networkContext(engine).root), e.name);
    if (net === undefined) throw new BerthError('BERTH_ENOTFOUND', `network ${e.name} not found`);
    e.name = net.name;
  }
  trace('create: begin');
  // a start may follow at once (`run`): its cgroup attach then finds the kernel's lock warm
  warmAttachFor(2000);
  const store = await engine.images();
  const image: ImageRecord = await store.resolve(req.image);
  trace('create: image resolved');
  const id = newContainerId();
  const paths = containerPaths(engine.paths, id);
  const now = new Date().toISOString();
  const undo: Undo[] = [];

  // Placeholder resolution; the real one needs the rootfs mounted.
  const resolved: ResolvedConfig = {
    args: [], env: [], cwd: '/', user: '', uid: 0, gid: 0, additionalGids: [], hostname: '', stopSignal: 'SIGTERM', stopTimeout: 10,
    imageEntrypoint: image.config.Entrypoint ?? null, imageCmd: image.config.Cmd ?? null,
    imageVolumes: Object.keys(image.config.Volumes ?? {}), runtime: runtime.path, runtimeName: runtime.name,
    imageLabels: image.config.Labels ?? {},
  };
  const stored: StoredConfig = { request: req, resolved };
  const rec: ContainerRecord = {
    id, name: '', imageId: image.id, imageName: req.image, snapshotKey: snapshotKey(id), config: stored, state: 'creating',
    pid: 0, monitorPid: 0, monitorStart: null, exitCode: 0, error: '', oomKilled: false, createdAt: now, startedAt: null,
    finishedAt: null, restartCount: 0, stoppedByUser: false, runnerPid: process.pid, health: null, restartAt: null, restartDelayMs: 0,
  };
  // The name is claimed by the UNIQUE constraint: a generated one retries, a given one fails.
  for (let attempt = 0; ; attempt++) {
    rec.name = req.name !== undefined ? checkName(req.name) : randomName(attempt);
    try {
      tx(engine.db, () => insertContainer(engine.db, rec));
      break;
    } catch (e) {
      if (req.name !== undefined || attempt > 10 || !(e instanceof BerthError && e.code === 'BERTH_EEXIST')) throw e;
    }
  }
  undo.push({ label: 'record', fn: () => deleteContainerRecord(engine.db, id) });

  try {
    mkdirSync(paths.bundle, { recursive: true, mode: 0o711 });
    undo.push({ label: 'dir', fn: () => rmSync(paths.dir, { recursive: true, force: true }) });
    const snap = store.snapshotter();
    const mounts = await snap.prepare(snapshotKey(id), image.topChainId, { labels: { 'berth.container': id } });
    undo.push({ label: 'snapshot', fn: () => snap.remove(snapshotKey(id)) });
    trace('create: snapshot prepared');
    await mountRootfs(mounts, paths.rootfs);
    trace('create: rootfs mounted');
    undo.push({ label: 'mount', fn: () => unmountAll(paths.rootfs) });

    const cfg = image.config;
    resolved.args = processArgs(cfg, req);
    resolved.hostname = joinedRec?.config.resolved.hostname ?? req.hostname ?? (req.network === 'host' ? osHostname() : shortId(id));
    const exposed = [...Object.keys(cfg.ExposedPorts ?? {}), ...(req.expose ?? [])].map((p) => (p.includes('/') ? p : `${p}/tcp`));
    if (exposed.length > 0) resolved.exposedPorts = [...new Set(exposed)];
    resolved.user = req.user ?? cfg.User ?? '';
    const user = resolveUser(paths.rootfs, resolved.user);
    resolved.uid = user.uid;
    resolved.gid = user.gid;
    resolved.additionalGids = user.additionalGids;
    const imageEnv = cfg.Env ?? [];
    resolved.env = mergeEnv(
      imageEnv.some((e) => e.startsWith('PATH=')) ? [] : [DEFAULT_PATH],
      [`HOSTNAME=${resolved.hostname}`],
      imageEnv,
      req.tty ? ['TERM=xterm'] : [],
      req.env,
    );
    if (!resolved.env.some((e) => e.startsWith('HOME='))) resolved.env.push(`HOME=${user.home === '' ? '/' : user.home}`);
    resolved.cwd = req.workingDir ?? (cfg.WorkingDir !== undefined && cfg.WorkingDir !== '' ? cfg.WorkingDir : '/');
    if (!resolved.cwd.startsWith('/')) throw new BerthError('BERTH_EINVAL', `the working directory "${resolved.cwd}" is not an absolute path`);
    // docker creates a missing working directory (inside the rootfs, never through a symlink out).
    const wd = resolveInRoot(paths.rootfs, resolved.cwd);
    if (!wd.exists) mkdirSync(wd.host, { recursive: true, mode: 0o755 });
    resolved.stopSignal = req.stopSignal ?? cfg.StopSignal ?? 'SIGTERM';
    resolved.stopTimeout = req.stopTimeout ?? 10;
    const health = mergeHealth(cfg.Healthcheck, req.healthcheck);
    if (health !== undefined) resolved.healthcheck = health;

    // Volumes: the image's declared ones become anonymous volumes unless a flag mounts there.
    const mountsReq = [...req.mounts];
    for (const v of resolved.imageVolumes) {
      if (!mountsReq.some((m) => m.target === v)) mountsReq.push({ type: 'volume', source: '', target: v, readOnly: false, options: [], anonymous: true });
    }
    const hostMounts: HostMount[] = [];
    const newVolumes: string[] = [];
    for (const m of mountsReq) {
      if (m.type === 'bind') {
        if (!existsSync(m.source)) throw new BerthError('BERTH_EINVAL', `invalid mount config: bind source path does not exist: ${m.source}`);
        hostMounts.push({ type: 'bind', source: m.source, target: m.target, readOnly: m.readOnly, options: m.options });
      } else if (m.type === 'tmpfs') {
        hostMounts.push({ type: 'tmpfs', source: '', target: m.target, readOnly: m.readOnly, options: m.options });
      } else {
        const existed = m.source !== '' && getVolume(engine.db, m.source) !== undefined;
        const vol = createVolume(engine.db, engine.paths, m.source === '' ? { anonymous: true } : { name: m.source });
        if (!existed) undo.push({ label: `volume ${vol.name}`, fn: () => removeVolume(engine.db, engine.paths, vol.name, { force: true }) });
        m.source = vol.name;
        if (m.anonymous !== true && vol.anonymous) m.anonymous = true;
        const data = volumeData(engine.paths, vol.name);
        const inImage = resolveInRoot(paths.rootfs, m.target);
        if (inImage.exists && !existed) seedVolume(data, inImage.host);
        if (!existed) newVolumes.push(data);
        hostMounts.push({ type: 'bind', source: data, target: m.target, readOnly: m.readOnly, options: m.options.filter((o) => o !== 'nocopy') });
      }
    }
    req.mounts = mountsReq;

    trace('create: volumes and user resolved');
    const shared = sharedHostsFiles(engine, req);
    if (shared === undefined) {
      writeHostsFiles(paths, resolved.hostname, req.network, {
        ...(req.addHosts !== undefined ? { addHosts: req.addHosts } : {}),
        ...(req.dns !== undefined ? { dns: req.dns } : {}),
        ...(req.dnsSearch !== undefined ? { dnsSearch: req.dnsSearch } : {}),
        ...(req.dnsOptions !== undefined ? { dnsOptions: req.dnsOptions } : {}),
      });
    }
    const netns = specNetns(engine, id, req);
    let spec = buildSpec({
      id, req, resolved, paths, mounts: hostMounts, netns,
      ...(initBinary !== undefined ? { initBinary } : {}),
      ...(shared !== undefined ? { hostsFiles: shared } : {}),
    });
    if (req.userns === 'auto') {
      // root inside is an unprivileged host uid (podman's --userns=auto, with one range for all):
      // the runtime's user namespace, and the rootfs id-mapped or, on overlay, shifted into the range
      const { allocateUserNamespaceRange, chownRootfs, mapRootToUnprivilegedRange } = await import('../runtime/userns.js');
      const range = allocateUserNamespaceRange();
      spec = (await mapRootToUnprivilegedRange(spec, paths.rootfs, range)).spec;
      // a volume this container made is its own, as with docker's userns-remap: shifted into the range
      for (const dir of newVolumes) chownRootfs(dir, range);
    }
    writeFileSync(`${paths.configJson}.tmp`, JSON.stringify(spec));
    renameSync(`${paths.configJson}.tmp`, paths.configJson);

    trace('create: bundle written');
    tx(engine.db, () => updateContainer(engine.db, id, { config: stored, state: 'created', runnerPid: 0 }));
    return getContainer(engine.db, id)!;
  } catch (e) {
    for (const u of undo.reverse()) {
      try {
        await u.fn();
      } catch {
        /* keep undoing: one leak must not cause others */
      }
    }
    throw e;
  }
}
