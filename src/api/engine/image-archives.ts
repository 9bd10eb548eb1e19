// save (docker-archive out), load (docker-archive or OCI layout in) and import (a rootfs tarball)
// over the API, streamed both ways.
import type { Readable } from 'node:stream';
import { BerthError } from '../../errors.js';
import { importRootfs } from '../../image/archive/import.js';
import { loadArchive } from '../../image/archive/load.js';
import { resolveForSave, saveImages } from '../../image/archive/save.js';
import type { ImageConfigBody } from '../../image/manifest.js';
import type { ApiStream, ImportOptions } from '../backend.js';
import { Channel } from '../channel.js';
import type { ProgressMessage } from '../types.js';
import { pumpInto } from './archive.js';
import { familiar, imageStore } from './images.js';
import { progressToChannel } from './registry.js';
import type { EngineApi } from './state.js';

export async function save(api: EngineApi, names: string[]): Promise<ApiStream<Buffer>> {
  const store = imageStore(api);
  let items;
  try {
    items = await resolveForSave(store, names);
  } catch (e) {
    if (e instanceof BerthError && e.code === 'BERTH_ENOTFOUND') throw new BerthError('BERTH_ENOTFOUND', `No such image: ${names.join(', ')}`, { cause: e });
    throw e;
  }
  for (const i of items) api.journal.emit('image', 'save', i.image.id, { name: familiar(i.tags[0] ?? i.image.id) });
  return pumpInto(saveImages(store, items, 'docker-archive'));
}

export async function load(api: EngineApi, tar: Readable, opts: { quiet: boolean }): Promise<ApiStream<ProgressMessage>> {
  const ch = new Channel<ProgressMessage>(256);
  const progress = opts.quiet ? undefined : progressToChannel(ch, 'Downloading', () => undefined);
  void (async () => {
    const images = await loadArchive(imageStore(api), tar, { what: 'the archive', ...(progress !== undefined ? { progress } : {}) });
    for (const img of images) {
      api.journal.emit('image', 'load', img.id, { name: familiar(img.repoTags[0] ?? img.id) });
      if (img.repoTags.length === 0) await ch.push({ stream: `Loaded image ID: ${img.id}\n` });
      for (const t of img.repoTags) await ch.push({ stream: `Loaded image: ${familiar(t)}\n` });
    }
  })().then(() => ch.end(), (e: unknown) => ch.end(e));
  return ch;
}

/** docker's `--change` lines, as far as an import can take them. */
function changesToConfig(changes: string[]): Partial<ImageConfigBody> {
  const cfg: Partial<ImageConfigBody> = {};
  const argv = (s: string): string[] => {
    try {
      const v = JSON.parse(s) as unknown;
      if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
    } catch { /* the shell form */ }
    return ['/bin/sh', '-c', s];
  };
  for (const c of changes.flatMap((x) => x.split('\n')).filter((x) => x.trim() !== '')) {
    const m = /^\s*(\w+)\s+(.*)$/.exec(c);
    if (m === null) throw new BerthError('BERTH_EINVAL', `invalid change "${c}"`);
    const arg = m[2]!;
    switch (m[1]!.toUpperCase()) {
      case 'CMD': cfg.Cmd = argv(arg); break;
      case 'ENTRYPOINT': cfg.Entrypoint = argv(arg); break;
      case 'ENV': cfg.Env = [...(cfg.Env ?? []), arg.includes('=') ? arg : arg.replace(/\s+/, '=')]; break;
      case 'WORKDIR': cfg.WorkingDir = arg; break;
      case 'USER': cfg.User = arg; break;
      case 'LABEL': { const [k, ...v] = arg.split('='); cfg.Labels = { ...(cfg.Labels ?? {}), [k!.trim()]: v.join('=').replace(/^"|"$/g, '') }; break; }
      case 'EXPOSE': cfg.ExposedPorts = { ...(cfg.ExposedPorts ?? {}), ...Object.fromEntries(arg.split(/\s+/).map((p) => [p.includes('/') ? p : `${p}/tcp`, {}])) }; break;
      case 'STOPSIGNAL': cfg.StopSignal = arg; break;
      default: throw new BerthError('BERTH_EINVAL', `import: the change ${m[1]} is not supported`);
    }
  }
  return cfg;
}

export async function importImage(api: EngineApi, source: Readable, opts: ImportOptions): Promise<ApiStream<ProgressMessage>> {
  const config = changesToConfig(opts.changes);
  const tag = opts.repo !== undefined && opts.repo !== '' ? `${opts.repo}${opts.tag ? `:${opts.tag}` : ''}` : undefined;
  const ch = new Channel<ProgressMessage>(4);
  void importRootfs(imageStore(api), source, {
    what: 'import', ...(tag !== undefined ? { tag } : {}), ...(opts.message !== undefined ? { message: opts.message } : {}),
    ...(Object.keys(config).length > 0 ? { config } : {}),
  }).then(async (img) => {
    api.journal.emit('image', 'import', img.id, { name: tag ?? img.id });
    await ch.push({ status: img.id });
    ch.end();
  }, (e: unknown) => ch.end(e));
  return ch;
}
