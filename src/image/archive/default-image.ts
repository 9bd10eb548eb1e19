// The default image: a docker-archive of one layer, the busybox root filesystem, with owners and
// mtimes normalized and a fixed creation time, so the same busybox gives the same image ID on
// every machine. Built by scripts/make-default-image.mjs during `make build`.

import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import { digestOf } from '../../storage/digest.js';
import { hostPlatform } from '../manifest.js';
import { tarDirectory } from './tar-dir.js';
import { writeTar, type TarSourceEntry } from './tar-writer.js';

export const DEFAULT_IMAGE_NAME = 'localhost/busybox:latest';
export const DEFAULT_PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface DefaultImageResult {
  id: string;
  diffId: string;
  out: string;
}

export async function buildDefaultImage(rootfs: string, out: string, opts: { created?: string } = {}): Promise<DefaultImageResult> {
  const work = await mkdtemp(join(tmpdir(), 'berth-default-image-'));
  try {
    const layerPath = join(work, 'layer.tar');
    const hash = createHash('sha256');
    const layer = tarDirectory(rootfs, { normalize: { uid: 0, gid: 0, mtime: 0 }, exclude: (rel) => rel === '.busybox-stamp' });
    await pipeline(Readable.from((async function* () {
      for await (const c of layer) {
        hash.update(c);
        yield c;
      }
    })()), createWriteStream(layerPath));
    const diffId = `sha256:${hash.digest('hex')}`;
    const layerSize = (await stat(layerPath)).size;
    const created = opts.created ?? '1970-01-01T00:00:00Z';
    const plat = hostPlatform();
    const config = {
      architecture: plat.architecture,
      ...(plat.variant !== undefined ? { variant: plat.variant } : {}),
      os: plat.os,
      created,
      config: { Env: [DEFAULT_PATH_ENV], Cmd: ['sh'] },
      rootfs: { type: 'layers', diff_ids: [diffId] },
      history: [{ created, created_by: 'berth make-default-image: busybox-static rootfs' }],
    };
    const configBytes = Buffer.from(JSON.stringify(config));
    const id = digestOf(configBytes);
    const hex = diffId.slice(7);
    const entries: TarSourceEntry[] = [
      { entry: { name: hex, type: 'dir', mode: 0o755 } },
      { entry: { name: `${hex}/layer.tar`, type: 'file', size: layerSize, mode: 0o644 }, body: createReadStream(layerPath) },
      { entry: { name: `${id.slice(7)}.json`, type: 'file', size: configBytes.length, mode: 0o644 }, body: configBytes },
    ];
    const manifest = Buffer.from(JSON.stringify([{ Config: `${id.slice(7)}.json`, RepoTags: [DEFAULT_IMAGE_NAME], Layers: [`${hex}/layer.tar`] }]));
    const repositories = Buffer.from(JSON.stringify({ 'localhost/busybox': { latest: hex } }));
    entries.push({ entry: { name: 'manifest.json', type: 'file', size: manifest.length, mode: 0o644 }, body: manifest });
    entries.push({ entry: { name: 'repositories', type: 'file', size: repositories.length, mode: 0o644 }, body: repositories });
    await mkdir(dirname(out), { recursive: true });
    const tmp = `${out}.tmp-${process.pid}`;
    await pipeline(Readable.from(writeTar(entries)), createWriteStream(tmp));
    await rename(tmp, out);
    return { id, diffId, out };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
