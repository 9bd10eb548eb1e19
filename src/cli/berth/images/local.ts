// Local image verbs: images, image inspect, rmi, tag, image prune, system df.

import { BerthError } from '../../../errors.js';
import { openImageStore, type ImageRecord } from '../../../image/store.js';
import type { BerthCommand } from '../command.js';
import { ago, humanSize, out, shortId, splitTag, table } from './print.js';

function format(v: unknown): 'json' | 'table' {
  if (v === undefined || v === 'table') return 'table';
  if (v === 'json') return 'json';
  throw new BerthError('BERTH_EINVAL', `unsupported --format "${String(v)}": want json or table`);
}

function imageJson(img: ImageRecord): Record<string, unknown> {
  return {
    Id: img.id, RepoTags: img.repoTags, RepoDigests: img.repoDigests, Created: img.created, Size: img.size,
    Architecture: img.architecture, Os: img.os, ...(img.variant ? { Variant: img.variant } : {}), Config: img.config,
    RootFS: { Type: 'layers', Layers: img.diffIds }, TopChainId: img.topChainId ?? null,
    Manifest: { Digest: img.manifestDigest, MediaType: img.manifestMediaType },
  };
}

export const imagesCommand: BerthCommand = {
  summary: 'list images',
  usage: '[-q] [--all] [--format json|table] [REPOSITORY[:TAG]]',
  flags: { quiet: { kind: 'bool', short: 'q' }, all: { kind: 'bool', short: 'a' }, format: { kind: 'string' }, 'no-trunc': { kind: 'bool' } },
  differences: 'there are no intermediate images, so --all lists the same images; --format takes json or table only',
  async run(g, p) {
    const store = openImageStore(g.root);
    let images = await store.list();
    const filter = p.positionals[0];
    if (filter !== undefined) {
      images = images.filter((i) => i.repoTags.some((t) => {
        const { repository, tag } = splitTag(t);
        return filter === repository || filter === `${repository}:${tag}` || t === filter || t.startsWith(`${filter}:`);
      }));
    }
    if (p.flags.quiet === true) {
      out([...new Set(images.map((i) => (p.flags['no-trunc'] === true ? i.id : shortId(i.id))))].map((s) => `${s}\n`).join(''));
      return 0;
    }
    if (format(p.flags.format) === 'json') {
      out(JSON.stringify(images.map(imageJson), null, 2) + '\n');
      return 0;
    }
    const rows = [['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE']];
    for (const i of images) {
      const id = p.flags['no-trunc'] === true ? i.id : shortId(i.id);
      if (i.repoTags.length === 0) rows.push(['<none>', '<none>', id, ago(i.created), humanSize(i.size)]);
      for (const t of i.repoTags) {
        const s = splitTag(t);
        rows.push([s.repository, s.tag, id, ago(i.created), humanSize(i.size)]);
      }
    }
    out(table(rows));
    return 0;
  },
};

export const inspectCommand: BerthCommand = {
  summary: 'show images in detail (JSON)',
  usage: 'IMAGE...',
  flags: { format: { kind: 'string', short: 'f' } },
  async run(g, p) {
    if (p.positionals.length === 0) throw new BerthError('BERTH_EINVAL', 'image inspect: give at least one image');
    const store = openImageStore(g.root);
    const res: Record<string, unknown>[] = [];
    for (const n of p.positionals) {
      const img = await store.resolve(n);
      const layers = store.layers(img.id);
      res.push({ ...imageJson(img), Layers: layers.map((l) => ({ ChainId: l.chainId, DiffId: l.diffId, Digest: l.blobDigest, MediaType: l.mediaType, Size: l.size, CompressedSize: l.blobSize })) });
    }
    out(JSON.stringify(res, null, 2) + '\n');
    return 0;
  },
};

export const rmiCommand: BerthCommand = {
  summary: 'remove images',
  usage: '[-f] IMAGE...',
  flags: { force: { kind: 'bool', short: 'f' }, 'no-prune': { kind: 'bool' } },
  differences: 'an image used by a container is refused unless --force; the container keeps its layers',
  async run(g, p) {
    if (p.positionals.length === 0) throw new BerthError('BERTH_EINVAL', 'rmi: give at least one image');
    const store = openImageStore(g.root);
    for (const n of p.positionals) {
      const r = await store.remove(n, { force: p.flags.force === true, gc: p.flags['no-prune'] !== true });
      for (const t of r.untagged) out(`Untagged: ${t}\n`);
      for (const d of r.deleted) out(`Deleted: ${d}\n`);
    }
    return 0;
  },
};

export const tagCommand: BerthCommand = {
  summary: 'give an image another name',
  usage: 'SOURCE_IMAGE TARGET_IMAGE[:TAG]...',
  flags: {},
  async run(g, p) {
    const [src, ...targets] = p.positionals;
    if (src === undefined || targets.length === 0) throw new BerthError('BERTH_EINVAL', 'tag: usage: berth tag SOURCE TARGET');
    const store = openImageStore(g.root);
    const img = await store.resolve(src);
    for (const t of targets) store.tag(img, t);
    return 0;
  },
};

export const pruneCommand: BerthCommand = {
  summary: 'remove unused images',
  usage: '[-a] [-f]',
  flags: { all: { kind: 'bool', short: 'a' }, force: { kind: 'bool', short: 'f' } },
  differences: 'does not ask for confirmation',
  async run(g, p) {
    const store = openImageStore(g.root);
    const r = await store.prune({ all: p.flags.all === true });
    for (const d of r.deleted) out(`Deleted: ${d}\n`);
    out(`Total reclaimed space: ${humanSize(r.gc.bytesFreed)}\n`);
    return 0;
  },
};

export const dfCommand: BerthCommand = {
  summary: 'show disk use of images: each image\'s own and shared size',
  usage: '[-v] [--format json|table]',
  flags: { verbose: { kind: 'bool', short: 'v' }, format: { kind: 'string' } },
  async run(g, p) {
    const store = openImageStore(g.root);
    const du = await store.diskUsage();
    if (format(p.flags.format) === 'json') {
      out(JSON.stringify(du, null, 2) + '\n');
      return 0;
    }
    const active = du.images.filter((i) => i.containers > 0).length;
    const unused = du.images.filter((i) => i.containers === 0).reduce((s, i) => s + i.uniqueSize, 0);
    out(table([
      ['TYPE', 'TOTAL', 'ACTIVE', 'SIZE', 'RECLAIMABLE'],
      ['Images', String(du.images.length), String(active), humanSize(du.layersSize), humanSize(unused)],
    ]));
    out(`Layers are stored once: ${humanSize(du.layersSize)} on disk for ${humanSize(du.naiveSize)} of images (${humanSize(Math.max(0, du.naiveSize - du.layersSize))} saved by sharing); blobs ${humanSize(du.blobsSize)}.\n`);
    if (p.flags.verbose === true || du.images.length > 0) {
      out('\nImages space usage:\n\n');
      const rows = [['REPOSITORY', 'TAG', 'IMAGE ID', 'SIZE', 'SHARED SIZE', 'UNIQUE SIZE', 'CONTAINERS']];
      for (const i of du.images) {
        const names = i.repoTags.length > 0 ? i.repoTags.map(splitTag) : [{ repository: '<none>', tag: '<none>' }];
        for (const n of names) rows.push([n.repository, n.tag, shortId(i.id), humanSize(i.size), humanSize(i.sharedSize), humanSize(i.uniqueSize), String(i.containers)]);
      }
      out(table(rows));
    }
    return 0;
  },
};
