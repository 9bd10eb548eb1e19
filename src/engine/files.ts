// cp (both directions), diff, commit and export: all work on the container's rootfs as mounted on
// the host, and every path the user names is resolved inside it (resolveInRoot), so a symlink in
// the container can never make berth read or write a host file.
import { closeSync, constants, cpSync, existsSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, utimesSync, chownSync, writeSync, statSync, type Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { BerthError } from '../errors.js';
import type { Engine } from './engine.js';
import type { ImageRecord } from './images.js';
import { resolveInRoot } from './inroot.js';
import { containerPaths } from './paths.js';
import type { ContainerRecord } from './records.js';
import { isMounted, mountRootfs } from './rootfs.js';
import { Readable } from 'node:stream';
import { tarDirectory } from '../image/archive/tar-dir.js';
import { writeTar, type TarSourceEntry } from '../image/archive/tar-writer.js';
import { overlayDiff } from '../image/build/layer-diff.js';

export async function rootfsOf(engine: Engine, rec: ContainerRecord): Promise<string> {
  const paths = containerPaths(engine.paths, rec.id);
  if (!isMounted(paths.rootfs)) {
    if (rec.snapshotKey === null) throw new BerthError('BERTH_ESTATE', `container ${rec.name} has no rootfs`);
    await mountRootfs(await (await engine.images()).snapshotter().mounts(rec.snapshotKey), paths.rootfs);
  }
  return paths.rootfs;
}

/** Copies out of the container: the source is resolved in the rootfs; a final symlink is copied as a link. */
export async function copyFromContainer(engine: Engine, rec: ContainerRecord, src: string, dest: string): Promise<void> {
  const root = await rootfsOf(engine, rec);
  const r = resolveInRoot(root, src, { followLast: src.endsWith('/') || src.endsWith('/.') });
  if (!r.exists) throw new BerthError('BERTH_ENOTFOUND', `could not find the file ${src} in container ${rec.name}`);
  let target = dest;
  if (existsSync(dest) && statSync(dest).isDirectory()) target = join(dest, basename(r.inside) || basename(root));
  else if (dest.endsWith('/')) throw new BerthError('BERTH_EINVAL', `destination directory ${dest} does not exist`);
  if (src.endsWith('/.') && lstatSync(r.host).isDirectory()) {
    mkdirSync(dest, { recursive: true });
    target = dest;
    for (const name of readdirSync(r.host)) cpSync(join(r.host, name), join(target, name), { recursive: true, verbatimSymlinks: true, preserveTimestamps: true, force: true });
    return;
  }
  cpSync(r.host, target, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true, force: true });
}

/** Writes one host entry to `hostPath`, a path already resolved in the rootfs whose parent is a real directory. */
function copyEntry(src: string, hostPath: string): void {
  const st = lstatSync(src);
  let existing: Stats | undefined;
  try {
    existing = lstatSync(hostPath);
  } catch {
    existing = undefined;
  }
  if (st.isDirectory()) {
    if (existing !== undefined && !existing.isDirectory()) rmSync(hostPath, { force: true, recursive: true });
    if (existing === undefined || !existing.isDirectory()) mkdirSync(hostPath, { mode: st.mode & 0o7777 });
    for (const name of readdirSync(src)) copyEntry(join(src, name), join(hostPath, name));
  } else {
    // Never write through what is there: a symlink planted in the container is replaced, not followed.
    if (existing !== undefined) rmSync(hostPath, { force: true, recursive: true });
    if (st.isSymbolicLink()) symlinkSync(readlinkSync(src), hostPath);
    else if (st.isFile()) {
      const fd = openSync(hostPath, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, st.mode & 0o7777);
      try {
        const data = readFileSync(src);
        writeSync(fd, data);
      } finally {
        closeSync(fd);
      }
    } else return; // devices, sockets and fifos are not copied in
  }
  try {
    if (!st.isSymbolicLink()) {
      chownSync(hostPath, 0, 0);
      utimesSync(hostPath, st.atime, st.mtime);
    }
  } catch {
    /* best effort */
  }
}

export async function copyToContainer(engine: Engine, rec: ContainerRecord, src: string, dest: string): Promise<void> {
  if (!existsSync(src)) throw new BerthError('BERTH_ENOTFOUND', `${src}: no such file or directory`);
  const root = await rootfsOf(engine, rec);
  const d = resolveInRoot(root, dest);
  let parentHost: string;
  let name: string;
  if (d.exists && lstatSync(d.host).isDirectory()) {
    if (src.endsWith('/.')) {
      for (const n of readdirSync(src)) copyEntry(join(src, n), join(d.host, n));
      return;
    }
    parentHost = d.host;
    name = basename(src);
  } else {
    const parent = resolveInRoot(root, dirname(d.inside));
    if (!parent.exists || !lstatSync(parent.host).isDirectory()) throw new BerthError('BERTH_ENOTFOUND', `destination directory ${dirname(dest)} does not exist in container ${rec.name}`);
    parentHost = parent.host;
    name = basename(d.inside);
  }
  copyEntry(src, join(parentHost, name));
}

interface OverlayDirs {
  upper: string;
  lowers: string[];
}

async function overlayDirs(engine: Engine, rec: ContainerRecord): Promise<OverlayDirs> {
  if (rec.snapshotKey === null) throw new BerthError('BERTH_ESTATE', `container ${rec.name} has no rootfs snapshot`);
  const mounts = await (await engine.images()).snapshotter().mounts(rec.snapshotKey);
  const m = mounts[0];
  if (m === undefined || m.type !== 'overlay') {
    if (m !== undefined && m.type === 'bind') return { upper: m.source, lowers: [] };
    throw new BerthError('BERTH_EUNSUPPORTED', 'diff and commit need the overlay snapshotter');
  }
  const opt = (k: string): string | undefined => m.options.find((o) => o.startsWith(`${k}=`))?.slice(k.length + 1);
  return { upper: opt('upperdir')!, lowers: (opt('lowerdir') ?? '').split(':').filter((x) => x !== '') };
}

export interface Change {
  Path: string;
  /** 0 modified, 1 added, 2 deleted (docker's codes). */
  Kind: 0 | 1 | 2;
}

export async function containerDiff(engine: Engine, rec: ContainerRecord): Promise<Change[]> {
  const { upper, lowers } = await overlayDirs(engine, rec);
  const inLower = (p: string): boolean => lowers.some((l) => {
    try {
      lstatSync(join(l, p));
      return true;
    } catch {
      return false;
    }
  });
  const out: Change[] = [];
  const walk = (dir: string, rel: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const p = `${rel}/${name}`;
      const st = lstatSync(join(dir, name));
      if (st.isCharacterDevice() && st.rdev === 0) {
        out.push({ Path: p, Kind: 2 });
        continue;
      }
      out.push({ Path: p, Kind: inLower(p) ? 0 : 1 });
      if (st.isDirectory()) walk(join(dir, name), p);
    }
  };
  walk(upper, '');
  return out;
}

export interface CommitOptions {
  repo?: string;
  comment?: string;
  author?: string;
  pause?: boolean;
  changes?: Partial<import('./images.js').ImageConfigBody>;
}

type IdMap = { containerID: number; hostID: number; size: number };

/** The uid and gid maps of a container in a user namespace (--userns auto), from its bundle. */
function ownerMaps(engine: Engine, rec: ContainerRecord): { uid: IdMap[]; gid: IdMap[] } | undefined {
  try {
    const spec = JSON.parse(readFileSync(containerPaths(engine.paths, rec.id).configJson, 'utf8')) as { linux?: { uidMappings?: IdMap[]; gidMappings?: IdMap[] } };
    const uid = spec.linux?.uidMappings ?? [];
    const gid = spec.linux?.gidMappings ?? [];
    return uid.length > 0 || gid.length > 0 ? { uid, gid } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A layer holds the owners as the container saw them: a user-namespaced container's files (its
 * rootfs shifted into the range on overlay) go back to container ids, as docker's userns-remap does.
 */
export function unshiftOwners(entries: TarSourceEntry[], maps: { uid: IdMap[]; gid: IdMap[] } | undefined): TarSourceEntry[] {
  if (maps === undefined) return entries;
  const back = (id: number | undefined, m: IdMap[]): number | undefined => {
    if (id === undefined) return id;
    const hit = m.find((r) => id >= r.hostID && id < r.hostID + r.size);
    return hit === undefined ? id : id - hit.hostID + hit.containerID;
  };
  return entries.map((e) => ({ ...e, entry: { ...e.entry, uid: back(e.entry.uid, maps.uid), gid: back(e.entry.gid, maps.gid) } }));
}

export async function commitContainer(engine: Engine, rec: ContainerRecord, opts: CommitOptions = {}): Promise<ImageRecord> {
  const store = await engine.images();
  const { upper } = await overlayDirs(engine, rec);
  const image = rec.imageId !== null ? await store.resolve(rec.imageId).catch(() => undefined) : undefined;
  const r = rec.config.resolved;
  const req = rec.config.request;
  const pause = opts.pause !== false && rec.state === 'running';
  if (pause) await engine.runtime(rec).pause(rec.id).catch(() => undefined);
  try {
    return await store.createImageFromLayer({
      ...(image !== undefined ? { parent: image } : {}),
      // the builder's changeset: whiteouts, opaque directories and xattrs as a layer holds them
      layerTar: Readable.from(writeTar(unshiftOwners(overlayDiff(upper), ownerMaps(engine, rec)))),
      config: {
        Env: r.env.filter((e) => !e.startsWith('HOSTNAME=')),
        Cmd: req.cmd.length > 0 ? req.cmd : req.entrypoint !== undefined ? null : r.imageCmd ?? null,
        Entrypoint: req.entrypoint !== undefined ? (req.entrypoint.length > 0 ? req.entrypoint : null) : r.imageEntrypoint ?? null,
        WorkingDir: r.cwd === '/' ? '' : r.cwd,
        User: r.user,
        Labels: { ...r.imageLabels, ...req.labels },
        StopSignal: r.stopSignal,
        ...(opts.changes ?? {}),
      },
      ...(opts.comment !== undefined ? { comment: opts.comment } : {}),
      ...(opts.author !== undefined ? { author: opts.author } : {}),
      ...(opts.repo !== undefined ? { tags: [opts.repo] } : {}),
    });
  } finally {
    if (pause) await engine.runtime(rec).resume(rec.id).catch(() => undefined);
  }
}

export async function exportContainer(engine: Engine, rec: ContainerRecord): Promise<NodeJS.ReadableStream> {
  return Readable.from(tarDirectory(await rootfsOf(engine, rec)));
}
