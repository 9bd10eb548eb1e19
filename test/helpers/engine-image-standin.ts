// A stand-in for src/image/store.ts (docs/engine-image-contract.md) for the engine's tests while the
// real store is being built: one image, `busybox`, made from the busybox fixture as a committed
// overlay snapshot, and createImageFromLayer for commit. Records live in a JSON file. Loaded by the
// engine through BERTH_IMAGE_STORE_MODULE.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync, createWriteStream, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { BerthError } from '../../src/errors.js';
import { OverlaySnapshotter } from '../../src/storage/overlay.js';
import type { ImageConfigBody, ImageRecord, ImageStore } from '../../src/engine/images.js';
import { fixtureRootfs } from './bundle.js';

const sha = (s: string | Buffer): string => `sha256:${createHash('sha256').update(s).digest('hex')}`;

class StandInStore implements ImageStore {
  private readonly snap: OverlaySnapshotter;
  private readonly indexFile: string;

  constructor(private readonly root: string) {
    this.snap = new OverlaySnapshotter(join(root, 'snapshots', 'overlay'));
    this.indexFile = join(root, 'standin-images.json');
  }

  private load(): ImageRecord[] {
    return existsSync(this.indexFile) ? (JSON.parse(readFileSync(this.indexFile, 'utf8')) as ImageRecord[]) : [];
  }

  private save(list: ImageRecord[]): void {
    mkdirSync(this.root, { recursive: true });
    writeFileSync(`${this.indexFile}.tmp`, JSON.stringify(list));
    renameSync(`${this.indexFile}.tmp`, this.indexFile);
  }

  private find(name: string): ImageRecord | undefined {
    const list = this.load();
    const full = name.includes(':') || name.startsWith('sha256:') ? name : `${name}:latest`;
    return list.find((i) => i.id === name || i.id === `sha256:${name}` || (name.length >= 4 && i.id.startsWith(`sha256:${name}`)) ||
      i.repoTags.some((t) => t === full || t === `localhost/${full}` || t === `docker.io/library/${full}`));
  }

  async resolve(name: string): Promise<ImageRecord> {
    const hit = this.find(name);
    if (hit !== undefined) return hit;
    if (['busybox', 'busybox:latest', 'localhost/busybox:latest', 'localhost/busybox'].includes(name)) return this.importBusybox();
    throw new BerthError('BERTH_ENOTFOUND', `image "${name}" not found`);
  }

  private async importBusybox(): Promise<ImageRecord> {
    const chain = sha('berth-standin-busybox-fixture');
    try {
      await this.snap.stat(chain);
    } catch {
      const key = `standin-extract-${randomBytes(4).toString('hex')}`;
      await this.snap.prepare(key);
      execFileSync('cp', ['-a', `${fixtureRootfs()}/.`, await this.snap.dir(key)]);
      rmSync(join(await this.snap.dir(key), '.busybox-stamp'), { force: true });
      try {
        await this.snap.commit(chain, key);
      } catch {
        await this.snap.remove(key);
      }
    }
    const config: ImageConfigBody = { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['sh'] };
    const rec: ImageRecord = {
      id: sha(JSON.stringify(config)), repoTags: ['localhost/busybox:latest'], repoDigests: [], created: new Date(0).toISOString(),
      size: 0, architecture: 'amd64', os: 'linux', config, diffIds: [chain], topChainId: chain,
    };
    this.save([...this.load().filter((i) => i.id !== rec.id), rec]);
    return rec;
  }

  async list(): Promise<ImageRecord[]> {
    return this.load();
  }

  snapshotter(): OverlaySnapshotter {
    return this.snap;
  }

  async createImageFromLayer(opts: { parent?: ImageRecord; layerTar: NodeJS.ReadableStream; config?: Partial<ImageConfigBody>; tags?: string[] }): Promise<ImageRecord> {
    const tmp = join(this.root, `standin-layer-${randomBytes(4).toString('hex')}.tar`);
    await pipeline(opts.layerTar, createWriteStream(tmp));
    const diffId = sha(readFileSync(tmp));
    const chain = opts.parent?.topChainId === undefined ? diffId : sha(`${opts.parent.topChainId} ${diffId}`);
    const key = `standin-extract-${randomBytes(4).toString('hex')}`;
    await this.snap.prepare(key, opts.parent?.topChainId);
    const dir = await this.snap.dir(key);
    execFileSync('tar', ['-x', '-p', '--numeric-owner', '-f', tmp, '-C', dir]);
    rmSync(tmp);
    // .wh.NAME → an overlay whiteout (a 0/0 character device).
    const whs = execFileSync('find', [dir, '-name', '.wh.*'], { encoding: 'utf8' }).split('\n').filter((l) => l !== '');
    for (const wh of whs) {
      const base = wh.slice(0, wh.lastIndexOf('/') + 1) + wh.slice(wh.lastIndexOf('/') + 5);
      rmSync(wh);
      if (!wh.endsWith('.wh..wh..opq')) execFileSync('mknod', [base, 'c', '0', '0']);
    }
    try {
      await this.snap.commit(chain, key);
    } catch {
      await this.snap.remove(key);
    }
    const config: ImageConfigBody = { ...(opts.parent?.config ?? {}), ...(opts.config ?? {}) };
    const rec: ImageRecord = {
      id: sha(JSON.stringify({ config, chain })), repoTags: (opts.tags ?? []).map((t) => (t.includes(':') ? t : `${t}:latest`)).map((t) => (t.includes('/') ? t : `localhost/${t}`)),
      repoDigests: [], created: new Date().toISOString(), size: 0, architecture: 'amd64', os: 'linux', config,
      diffIds: [...(opts.parent?.diffIds ?? []), diffId], topChainId: chain,
    };
    this.save([...this.load().filter((i) => i.id !== rec.id), rec]);
    return rec;
  }
}

export function openImageStore(root: string): ImageStore {
  return new StandInStore(root);
}
