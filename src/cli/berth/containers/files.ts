// cp, diff, commit, export.
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { BerthError } from '../../../errors.js';
import type { BerthCommand } from '../command.js';
import { exactly, openEngine } from './common.js';
import { write } from './output.js';

function splitRef(arg: string): { ref: string; path: string } | undefined {
  // CONTAINER:PATH; a local path with a colon must start with / or . (docker's rule)
  if (arg.startsWith('/') || arg.startsWith('.')) return undefined;
  const i = arg.indexOf(':');
  return i <= 0 ? undefined : { ref: arg.slice(0, i), path: arg.slice(i + 1) };
}

export const cp: BerthCommand = {
  summary: 'copy files between a container and the host (symlinks resolved inside the container)',
  usage: 'CONTAINER:SRC_PATH DEST_PATH | SRC_PATH CONTAINER:DEST_PATH',
  flags: { archive: { kind: 'bool', short: 'a' }, 'follow-link': { kind: 'bool', short: 'L' } },
  differences: 'streaming from or to "-" (a tar on stdin/stdout) is not supported yet.',
  async run(g, p) {
    const [a, b] = exactly(p, 2, 'cp', 'SRC DEST');
    const from = splitRef(a!);
    const to = splitRef(b!);
    if ((from === undefined) === (to === undefined)) throw new BerthError('BERTH_EINVAL', 'cp: exactly one of the paths must be CONTAINER:PATH');
    if (a === '-' || b === '-') throw new BerthError('BERTH_EUNSUPPORTED', 'cp: "-" (tar streams) is not supported yet');
    const engine = await openEngine(g);
    const { lookup } = await import('../../../engine/state.js');
    const f = await import('../../../engine/files.js');
    if (from !== undefined) await f.copyFromContainer(engine, await lookup(engine, from.ref), from.path, b!);
    else await f.copyToContainer(engine, await lookup(engine, to!.ref), a!, to!.path);
    return 0;
  },
};

export const diff: BerthCommand = {
  summary: "list the changes to a container's filesystem (A added, C changed, D deleted)",
  usage: 'CONTAINER',
  flags: {},
  async run(g, p) {
    const [ref] = exactly(p, 1, 'diff', 'CONTAINER');
    const engine = await openEngine(g);
    const { lookup } = await import('../../../engine/state.js');
    const { containerDiff } = await import('../../../engine/files.js');
    const changes = await containerDiff(engine, await lookup(engine, ref!));
    write(changes.map((c) => `${'CAD'[c.Kind]} ${c.Path}\n`).join(''));
    return 0;
  },
};

export const commit: BerthCommand = {
  summary: "create an image from a container's changes",
  usage: '[-m MESSAGE] [-a AUTHOR] [-p=false] CONTAINER [REPOSITORY[:TAG]]',
  flags: { message: { kind: 'string', short: 'm' }, author: { kind: 'string', short: 'a' }, pause: { kind: 'bool', short: 'p', default: true }, change: { kind: 'strings', short: 'c' } },
  differences: '--change takes CMD, ENTRYPOINT (JSON arrays), ENV, WORKDIR, USER and LABEL.',
  async run(g, p) {
    if (p.positionals.length < 1 || p.positionals.length > 2) throw new BerthError('BERTH_EINVAL', '"commit" requires 1 or 2 arguments (CONTAINER [REPOSITORY[:TAG]])');
    const [ref, repo] = p.positionals;
    const engine = await openEngine(g);
    const { lookup } = await import('../../../engine/state.js');
    const { commitContainer } = await import('../../../engine/files.js');
    const changes: Record<string, unknown> = {};
    for (const c of p.flags.change as string[]) {
      const m = /^\s*(\w+)\s+(.*)$/.exec(c);
      if (m === null) throw new BerthError('BERTH_EINVAL', `invalid --change "${c}"`);
      const [, kw, rest] = m as unknown as [string, string, string];
      const arr = (): string[] => (rest.trim().startsWith('[') ? (JSON.parse(rest) as string[]) : ['/bin/sh', '-c', rest]);
      switch (kw.toUpperCase()) {
        case 'CMD': changes.Cmd = arr(); break;
        case 'ENTRYPOINT': changes.Entrypoint = arr(); break;
        case 'WORKDIR': changes.WorkingDir = rest.trim(); break;
        case 'USER': changes.User = rest.trim(); break;
        case 'ENV': changes.Env = [...((changes.Env as string[] | undefined) ?? []), rest.trim().replace(/^(\S+)\s+/, '$1=')]; break;
        case 'LABEL': {
          const [k, v = ''] = rest.trim().split('=', 2) as [string, string?];
          changes.Labels = { ...((changes.Labels as Record<string, string> | undefined) ?? {}), [k]: v.replace(/^"|"$/g, '') };
          break;
        }
        default: throw new BerthError('BERTH_EINVAL', `--change ${kw} is not supported`);
      }
    }
    const rec = await lookup(engine, ref!);
    if (changes.Env !== undefined) changes.Env = [...rec.config.resolved.env.filter((e) => !e.startsWith('HOSTNAME=')), ...(changes.Env as string[])];
    const img = await commitContainer(engine, rec, {
      ...(repo !== undefined ? { repo } : {}),
      ...(p.flags.message !== undefined ? { comment: p.flags.message as string } : {}),
      ...(p.flags.author !== undefined ? { author: p.flags.author as string } : {}),
      pause: p.flags.pause !== false,
      changes: changes as never,
    });
    write(`${img.id}\n`);
    return 0;
  },
};

export const exportCmd: BerthCommand = {
  summary: "export a container's filesystem as a tar archive",
  usage: '[-o FILE] CONTAINER',
  flags: { output: { kind: 'string', short: 'o' } },
  async run(g, p) {
    const [ref] = exactly(p, 1, 'export', 'CONTAINER');
    const engine = await openEngine(g);
    const { lookup } = await import('../../../engine/state.js');
    const { exportContainer } = await import('../../../engine/files.js');
    const out = p.flags.output as string | undefined;
    if (out === undefined && process.stdout.isTTY) throw new BerthError('BERTH_EINVAL', 'cowardly refusing to write a tar to a terminal: use -o FILE or a redirect');
    const stream = await exportContainer(engine, await lookup(engine, ref!));
    await pipeline(stream, out !== undefined ? createWriteStream(out) : process.stdout);
    return 0;
  },
};
