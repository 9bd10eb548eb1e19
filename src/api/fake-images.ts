// The fake backend's images and its pretend registry: enough to list, inspect, tag, remove,
// pull (with progress lines), push, save and load.
import { createHash } from 'node:crypto';
import { BerthError } from '../errors.js';
import type { ContainerConfig, ImageDeleteItem, ImageHistoryItem, ImageInspect, ImageSummary, ProgressMessage } from './types.js';
import { readTarBuffer, writeTar, type TarEntry } from './fake-fs.js';

export interface FakeImage {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  created: Date;
  size: number;
  config: ContainerConfig;
  layers: string[];
}

const sha = (s: string | Buffer): string => createHash('sha256').update(s).digest('hex');

/** `busybox` → `busybox:latest`; `docker.io/library/x` → `x:latest`; digests stay as they are. */
export function normalizeRef(ref: string): string {
  let r = ref.replace(/^docker\.io\//, '').replace(/^index\.docker\.io\//, '').replace(/^library\//, '');
  if (r.includes('@')) return r;
  const slash = r.lastIndexOf('/');
  if (!r.slice(slash + 1).includes(':')) r += ':latest';
  return r;
}

export function makeImage(name: string, cmd: string[], opts: { created?: Date; size?: number } = {}): FakeImage {
  const layer = `sha256:${sha('layer:' + name)}`;
  const config: ContainerConfig = { Cmd: cmd, Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Labels: null };
  return {
    id: `sha256:${sha(JSON.stringify({ name, cmd }))}`, repoTags: [normalizeRef(name)], repoDigests: [],
    created: opts.created ?? new Date('2024-01-01T00:00:00Z'), size: opts.size ?? 4_300_000, config, layers: [layer],
  };
}

export class FakeImages {
  readonly images = new Map<string, FakeImage>();
  /** What "the registry" has: reference → image. `broken:latest` fails half-way through a pull. */
  readonly registry = new Map<string, FakeImage>();

  add(img: FakeImage): void {
    for (const other of this.images.values()) other.repoTags = other.repoTags.filter((t) => !img.repoTags.includes(t));
    const existing = this.images.get(img.id);
    if (existing) existing.repoTags = [...new Set([...existing.repoTags, ...img.repoTags])];
    else this.images.set(img.id, img);
  }

  find(name: string): FakeImage | undefined {
    if (/^(sha256:)?[0-9a-f]{6,64}$/.test(name)) {
      const hex = name.replace(/^sha256:/, '');
      const byId = [...this.images.values()].filter((i) => i.id.slice(7).startsWith(hex));
      if (byId.length === 1) return byId[0];
    }
    const ref = normalizeRef(name);
    return [...this.images.values()].find((i) => i.repoTags.includes(ref) || i.repoDigests.includes(ref));
  }

  get(name: string): FakeImage {
    const img = this.find(name);
    if (!img) throw new BerthError('BERTH_ENOTFOUND', `No such image: ${name.includes(':') || name.includes('@') || /^[0-9a-f]{12,64}$/.test(name) ? name : normalizeRef(name)}`);
    return img;
  }

  summary(img: FakeImage, containers: number): ImageSummary {
    return {
      Id: img.id, ParentId: '', RepoTags: img.repoTags, RepoDigests: img.repoDigests, Created: Math.floor(img.created.getTime() / 1000),
      Size: img.size, SharedSize: -1, Labels: img.config.Labels ?? {}, Containers: containers,
    };
  }

  inspect(img: FakeImage): ImageInspect {
    return {
      Id: img.id, RepoTags: img.repoTags, RepoDigests: img.repoDigests, Parent: '', Comment: '', Created: img.created.toISOString(),
      DockerVersion: '', Author: '', Config: img.config, Architecture: 'amd64', Os: 'linux', Size: img.size,
      GraphDriver: { Name: 'overlay2', Data: null }, RootFS: { Type: 'layers', Layers: img.layers }, Metadata: {},
    };
  }

  history(img: FakeImage): ImageHistoryItem[] {
    return [{ Id: img.id, Created: Math.floor(img.created.getTime() / 1000), CreatedBy: `/bin/sh -c #(nop) CMD ${JSON.stringify(img.config.Cmd ?? [])}`, Tags: img.repoTags, Size: img.size, Comment: '' }];
  }

  tag(source: string, repo: string, tag: string): void {
    const img = this.get(source);
    const ref = normalizeRef(`${repo}:${tag}`);
    if (!/^[a-z0-9]([a-z0-9._/:-]*[a-z0-9])?(:[\w][\w.-]{0,127})$/.test(ref)) throw new BerthError('BERTH_EINVAL', `invalid reference format: ${repo}:${tag}`);
    for (const other of this.images.values()) other.repoTags = other.repoTags.filter((t) => t !== ref);
    img.repoTags.push(ref);
  }

  remove(name: string, force: boolean, usedBy: (img: FakeImage) => string | undefined): ImageDeleteItem[] {
    const img = this.get(name);
    const byTag = img.repoTags.includes(normalizeRef(name)) && !img.id.includes(name.replace(/^sha256:/, ''));
    const user = usedBy(img);
    if (byTag && img.repoTags.length > 1) {
      img.repoTags = img.repoTags.filter((t) => t !== normalizeRef(name));
      return [{ Untagged: normalizeRef(name) }];
    }
    if (!byTag && img.repoTags.length > 1 && !force) {
      throw new BerthError('BERTH_ECONFLICT', `conflict: unable to delete ${img.id.slice(7, 19)} (must be forced) - image is referenced in multiple repositories`);
    }
    if (user && !force) {
      throw new BerthError('BERTH_ECONFLICT', `conflict: unable to remove repository reference "${name}" (must force) - container ${user.slice(0, 12)} is using its referenced image ${img.id.slice(7, 19)}`);
    }
    this.images.delete(img.id);
    return [...img.repoTags.map((t) => ({ Untagged: t })), { Deleted: img.id }];
  }

  /** Progress lines of a pull, in docker's shape; fails before any line when the image is unknown. */
  async *pull(ref: string): AsyncGenerator<ProgressMessage> {
    const norm = normalizeRef(ref);
    const remote = this.registry.get(norm);
    if (!remote) {
      throw new BerthError('BERTH_ENOTFOUND', `pull access denied for ${norm.replace(/:[^:/]*$/, '')}, repository does not exist or may require 'docker login'`);
    }
    const [repo, tag] = [norm.replace(/:[^:/]*$/, ''), norm.slice(norm.lastIndexOf(':') + 1)];
    yield { status: `Pulling from ${repo.includes('/') ? repo : 'library/' + repo}`, id: tag };
    const layer = remote.layers[0]!.slice(7, 19);
    yield { status: 'Pulling fs layer', progressDetail: {}, id: layer };
    for (const current of [1_000_000, 2_000_000]) {
      yield { status: 'Downloading', progressDetail: { current, total: 2_000_000 }, progress: `[${'='.repeat(current / 100_000)}>] ${current / 1e6}MB/2MB`, id: layer };
    }
    if (norm === 'broken:latest') throw new BerthError('BERTH_EREGISTRY', 'fake registry: layer download failed: unexpected EOF');
    yield { status: 'Download complete', progressDetail: {}, id: layer };
    yield { status: 'Pull complete', progressDetail: {}, id: layer };
    const digest = `sha256:${sha('manifest:' + norm)}`;
    yield { status: `Digest: ${digest}` };
    const had = this.find(norm) !== undefined;
    this.add({ ...remote, repoTags: [norm], repoDigests: [`${repo}@${digest}`] });
    yield { status: had ? `Status: Image is up to date for ${norm}` : `Status: Downloaded newer image for ${norm}` };
  }

  async *push(name: string, tag: string | undefined): AsyncGenerator<ProgressMessage> {
    const ref = normalizeRef(tag ? `${name}:${tag}` : name);
    const img = this.get(ref);
    const repo = ref.replace(/:[^:/]*$/, '');
    yield { status: `The push refers to repository [${repo.includes('/') ? repo : 'docker.io/library/' + repo}]` };
    const layer = img.layers[0]!.slice(7, 19);
    yield { status: 'Preparing', progressDetail: {}, id: layer };
    yield { status: 'Pushed', progressDetail: {}, id: layer };
    const digest = `sha256:${sha('manifest:' + ref)}`;
    this.registry.set(ref, { ...img, repoTags: [ref] });
    yield { status: `${ref.slice(ref.lastIndexOf(':') + 1)}: digest: ${digest} size: 527` };
    yield { progressDetail: {}, aux: { Tag: ref.slice(ref.lastIndexOf(':') + 1), Digest: digest, Size: 527 } };
  }

  /** A docker-archive: manifest.json plus one config file per image. */
  save(names: string[]): Buffer {
    const imgs = names.map((n) => this.get(n));
    const manifest = imgs.map((i) => ({ Config: `${i.id.slice(7)}.json`, RepoTags: i.repoTags, Layers: [] as string[] }));
    const now = new Date();
    const entries: TarEntry[] = imgs.map((i) => ({
      name: `${i.id.slice(7)}.json`, type: 'file' as const, mode: 0o644, mtime: now,
      data: Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', created: i.created.toISOString(), config: i.config, rootfs: { type: 'layers', diff_ids: i.layers } })),
    }));
    entries.push({ name: 'manifest.json', type: 'file', mode: 0o644, mtime: now, data: Buffer.from(JSON.stringify(manifest)) });
    return writeTar(entries);
  }

  load(tar: Buffer): ProgressMessage[] {
    const files = new Map(readTarBuffer(tar).map((e) => [e.name.replace(/^\.\//, ''), e.data]));
    const manifestData = files.get('manifest.json');
    if (!manifestData) throw new BerthError('BERTH_EINVAL', 'invalid archive: no manifest.json (not a docker-archive)');
    let manifest: Array<{ Config: string; RepoTags?: string[] | null }>;
    try { manifest = JSON.parse(manifestData.toString('utf8')); } catch (e) {
      throw new BerthError('BERTH_EINVAL', `invalid archive: manifest.json: ${e instanceof Error ? e.message : String(e)}`);
    }
    const out: ProgressMessage[] = [];
    for (const m of manifest) {
      const cfgData = files.get(m.Config);
      if (!cfgData) throw new BerthError('BERTH_EINVAL', `invalid archive: missing ${m.Config}`);
      const cfg = JSON.parse(cfgData.toString('utf8')) as { created?: string; config?: ContainerConfig; rootfs?: { diff_ids?: string[] } };
      const img: FakeImage = {
        id: `sha256:${sha(cfgData)}`, repoTags: (m.RepoTags ?? []).map(normalizeRef), repoDigests: [],
        created: new Date(cfg.created ?? 0), size: 4_300_000, config: cfg.config ?? {}, layers: cfg.rootfs?.diff_ids ?? [],
      };
      this.add(img);
      if (img.repoTags.length === 0) out.push({ stream: `Loaded image ID: ${img.id}\n` });
      for (const t of img.repoTags) out.push({ stream: `Loaded image: ${t}\n` });
    }
    return out;
  }
}
