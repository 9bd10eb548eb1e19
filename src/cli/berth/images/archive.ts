// Archive verbs: load, save, import.

import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BerthError } from '../../../errors.js';
import { importRootfs } from '../../../image/archive/import.js';
import { loadArchive } from '../../../image/archive/load.js';
import { resolveForSave, saveImages, type SaveFormat } from '../../../image/archive/save.js';
import { progressFor } from '../../../image/progress.js';
import { familiarString, parseReference } from '../../../image/reference.js';
import { openImageStore } from '../../../image/store.js';
import type { BerthCommand } from '../command.js';
import { out } from './print.js';

function input(file: string | undefined, verb: string): { stream: AsyncIterable<Uint8Array>; what: string } {
  if (file === undefined || file === '-') {
    if (process.stdin.isTTY === true) throw new BerthError('BERTH_EINVAL', `${verb}: no input: give a file or pipe an archive to stdin`);
    return { stream: process.stdin, what: 'stdin' };
  }
  return { stream: createReadStream(file), what: file };
}

export const loadCommand: BerthCommand = {
  summary: 'load images from a docker-archive or OCI layout tar (gzip too)',
  usage: '[-i FILE] [-q]',
  flags: { input: { kind: 'string', short: 'i' }, quiet: { kind: 'bool', short: 'q' } },
  async run(g, p) {
    const store = openImageStore(g.root);
    const { stream, what } = input(p.flags.input as string | undefined, 'load');
    const progress = progressFor(process.stderr, p.flags.quiet === true);
    try {
      const images = await loadArchive(store, stream, { what, progress });
      progress.close();
      for (const img of images) {
        if (img.repoTags.length === 0) out(`Loaded image ID: ${img.id}\n`);
        for (const t of img.repoTags) out(`Loaded image: ${familiarString(parseReference(t))}\n`);
      }
    } finally {
      progress.close();
    }
    return 0;
  },
};

export const saveCommand: BerthCommand = {
  summary: 'save images to a docker-archive (default) or an OCI layout tar',
  usage: '[-o FILE] [--format docker-archive|oci-archive] IMAGE...',
  flags: { output: { kind: 'string', short: 'o' }, format: { kind: 'string', default: 'docker-archive' } },
  async run(g, p) {
    const fmt = p.flags.format as string;
    if (fmt !== 'docker-archive' && fmt !== 'oci-archive') throw new BerthError('BERTH_EINVAL', `save: unsupported --format "${fmt}": want docker-archive or oci-archive`);
    if (p.positionals.length === 0) throw new BerthError('BERTH_EINVAL', 'save: give at least one image');
    const store = openImageStore(g.root);
    const items = await resolveForSave(store, p.positionals);
    const file = p.flags.output as string | undefined;
    const data = Readable.from(saveImages(store, items, fmt as SaveFormat), { objectMode: false });
    if (file === undefined || file === '-') {
      if (process.stdout.isTTY === true) throw new BerthError('BERTH_EINVAL', 'save: refusing to write an archive to a terminal: use -o FILE or redirect');
      await pipeline(data, process.stdout);
      return 0;
    }
    const tmp = `${file}.berth-tmp-${process.pid}`;
    try {
      await pipeline(data, createWriteStream(tmp, { mode: 0o644 }));
      await rename(tmp, file);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
    return 0;
  },
};

export const importCommand: BerthCommand = {
  summary: 'create an image from a root filesystem tarball',
  usage: '[-m MESSAGE] FILE|- [REPOSITORY[:TAG]]',
  flags: { message: { kind: 'string', short: 'm' }, change: { kind: 'strings', short: 'c' } },
  differences: '--change accepts only CMD, ENTRYPOINT, ENV, WORKDIR and USER with JSON or plain arguments',
  async run(g, p) {
    const [file, tag] = p.positionals;
    if (file === undefined) throw new BerthError('BERTH_EINVAL', 'import: give a tarball file or -');
    const store = openImageStore(g.root);
    const { stream, what } = input(file, 'import');
    const config = parseChanges(p.flags.change as string[]);
    const img = await importRootfs(store, stream, {
      what, ...(tag !== undefined ? { tag } : {}), ...(typeof p.flags.message === 'string' ? { message: p.flags.message } : {}),
      ...(Object.keys(config).length > 0 ? { config } : {}),
    });
    out(`${img.id}\n`);
    return 0;
  },
};

function parseChanges(changes: string[]): Record<string, unknown> {
  const cfg: Record<string, unknown> = {};
  const argv = (s: string): string[] => {
    try {
      const v = JSON.parse(s) as unknown;
      if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
    } catch { /* shell form */ }
    return ['/bin/sh', '-c', s];
  };
  for (const c of changes) {
    const m = /^\s*(\w+)\s+(.*)$/.exec(c);
    if (m === null) throw new BerthError('BERTH_EINVAL', `import: invalid --change "${c}"`);
    const [, instr, arg] = m as unknown as [string, string, string];
    switch (instr.toUpperCase()) {
      case 'CMD': cfg.Cmd = argv(arg); break;
      case 'ENTRYPOINT': cfg.Entrypoint = argv(arg); break;
      case 'ENV': cfg.Env = [...((cfg.Env as string[] | undefined) ?? []), arg.includes('=') ? arg : arg.replace(/\s+/, '=')]; break;
      case 'WORKDIR': cfg.WorkingDir = arg; break;
      case 'USER': cfg.User = arg; break;
      default: throw new BerthError('BERTH_EINVAL', `import: --change ${instr} is not supported`);
    }
  }
  return cfg;
}
