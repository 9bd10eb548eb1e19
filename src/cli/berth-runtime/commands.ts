// The verbs of berth-runtime: flags, positionals and what each prints. The work is in
// src/runtime/lifecycle/, imported lazily.
import { writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FlagSpecs, Parsed } from '../args.js';
import { BerthError } from '../../errors.js';
import type { RuntimeContext } from '../../runtime/lifecycle/context.js';

export interface CommandDef {
  summary: string;
  usage: string;
  flags: FlagSpecs;
  stopAtPositional?: boolean;
  run(ctx: RuntimeContext, p: Parsed): Promise<number>;
}

function needId(p: Parsed, verb: string): string {
  const id = p.positionals[0];
  if (!id) throw new BerthError('BERTH_EINVAL', `${verb}: a container id is required`);
  return id;
}

function exactlyOneId(p: Parsed, verb: string): string {
  const id = needId(p, verb);
  if (p.positionals.length > 1) throw new BerthError('BERTH_EINVAL', `${verb}: unexpected argument "${p.positionals[1]}"`);
  return id;
}

const out = (text: string) => process.stdout.write(text);

const createFlags: FlagSpecs = {
  bundle: { kind: 'string', short: 'b', default: '.' },
  'pid-file': { kind: 'string' },
  'console-socket': { kind: 'string' },
  'no-pivot': { kind: 'bool' },
  'no-new-keyring': { kind: 'bool', ignored: true },
  'preserve-fds': { kind: 'int', default: 0 },
};

function createOptions(p: Parsed) {
  return {
    bundle: p.flags.bundle as string,
    pidFile: p.flags['pid-file'] as string | undefined,
    consoleSocket: p.flags['console-socket'] as string | undefined,
    noPivot: p.flags['no-pivot'] === true,
    preserveFds: p.flags['preserve-fds'] as number,
  };
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 3))).join('').trimEnd()).join('\n') + '\n';
}

export const commands: Record<string, CommandDef> = {
  create: {
    summary: 'create a container (its process waits until start)',
    usage: '[--bundle DIR] [--pid-file FILE] [--console-socket SOCK] [--no-pivot] [--preserve-fds N] ID',
    flags: createFlags,
    async run(ctx, p) {
      const { createContainer } = await import('../../runtime/lifecycle/create.js');
      await createContainer(ctx, exactlyOneId(p, 'create'), createOptions(p));
      return 0;
    },
  },
  start: {
    summary: 'start a created container',
    usage: 'ID',
    flags: {},
    async run(ctx, p) {
      const { startContainer } = await import('../../runtime/lifecycle/start.js');
      startContainer(ctx, exactlyOneId(p, 'start'));
      return 0;
    },
  },
  run: {
    summary: 'create and start a container; wait for it unless --detach',
    usage: '[--bundle DIR] [--detach] [--keep] [--pid-file FILE] [--console-socket SOCK] [--no-pivot] [--preserve-fds N] ID',
    flags: { ...createFlags, detach: { kind: 'bool', short: 'd' }, keep: { kind: 'bool' }, 'no-subreaper': { kind: 'bool', ignored: true } },
    async run(ctx, p) {
      const { runContainer } = await import('../../runtime/lifecycle/run.js');
      return runContainer(ctx, exactlyOneId(p, 'run'), { ...createOptions(p), detach: p.flags.detach === true, keep: p.flags.keep === true });
    },
  },
  state: {
    summary: 'print the state of a container as JSON',
    usage: 'ID',
    flags: {},
    async run(ctx, p) {
      const { containerState } = await import('../../runtime/lifecycle/query.js');
      out(JSON.stringify(containerState(ctx, exactlyOneId(p, 'state')), null, 2) + '\n');
      return 0;
    },
  },
  list: {
    summary: 'list containers',
    usage: '[--format table|json] [--quiet]',
    flags: { format: { kind: 'string', short: 'f', default: 'table' }, quiet: { kind: 'bool', short: 'q' } },
    async run(ctx, p) {
      const { listContainers } = await import('../../runtime/lifecycle/query.js');
      const list = listContainers(ctx);
      if (p.flags.quiet) out(list.map((c) => c.id + '\n').join(''));
      else if (p.flags.format === 'json') out(JSON.stringify(list) + '\n');
      else if (p.flags.format === 'table') {
        out(table([['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER'], ...list.map((c) => [c.id, String(c.pid), c.status, c.bundle, c.created, c.owner])]));
      } else throw new BerthError('BERTH_EINVAL', `invalid --format "${String(p.flags.format)}": want table or json`);
      return 0;
    },
  },
  ps: {
    summary: 'list the processes of a container',
    usage: '[--format table|json] ID [ps options]',
    flags: { format: { kind: 'string', short: 'f', default: 'table' } },
    stopAtPositional: true,
    async run(ctx, p) {
      const { containerPids, psTable } = await import('../../runtime/lifecycle/query.js');
      const [id, ...psArgs] = p.positionals;
      const pids = containerPids(ctx, needId(p, 'ps') && id!);
      if (p.flags.format === 'json') {
        if (psArgs.length) throw new BerthError('BERTH_EINVAL', 'ps: options for ps cannot be used with --format json');
        out(JSON.stringify(pids) + '\n');
      } else if (p.flags.format === 'table') out(psTable(pids, psArgs));
      else throw new BerthError('BERTH_EINVAL', `invalid --format "${String(p.flags.format)}": want table or json`);
      return 0;
    },
  },
  kill: {
    summary: 'send a signal (default SIGTERM) to the container',
    usage: '[--all] ID [SIGNAL]',
    flags: { all: { kind: 'bool', short: 'a' } },
    async run(ctx, p) {
      const { killContainer } = await import('../../runtime/lifecycle/kill.js');
      if (p.positionals.length > 2) throw new BerthError('BERTH_EINVAL', `kill: unexpected argument "${p.positionals[2]}"`);
      killContainer(ctx, needId(p, 'kill'), p.positionals[1], p.flags.all === true);
      return 0;
    },
  },
  delete: {
    summary: 'delete a container and everything it holds',
    usage: '[--force] ID',
    flags: { force: { kind: 'bool', short: 'f' } },
    async run(ctx, p) {
      const { deleteContainer } = await import('../../runtime/lifecycle/delete.js');
      deleteContainer(ctx, exactlyOneId(p, 'delete'), p.flags.force === true);
      return 0;
    },
  },
  exec: {
    summary: 'run a process in a running container',
    usage: '[--process FILE | ID COMMAND [ARGS...]] [--tty] [--detach] [--pid-file FILE] [--console-socket SOCK] [--cwd DIR] [--env K=V] [--user UID[:GID]]',
    stopAtPositional: true,
    flags: {
      'console-socket': { kind: 'string' },
      cwd: { kind: 'string' },
      env: { kind: 'strings', short: 'e' },
      tty: { kind: 'bool', short: 't' },
      user: { kind: 'string', short: 'u' },
      'additional-gids': { kind: 'strings', short: 'g' },
      process: { kind: 'string', short: 'p' },
      detach: { kind: 'bool', short: 'd' },
      'pid-file': { kind: 'string' },
      'process-label': { kind: 'string', ignored: true },
      apparmor: { kind: 'string', ignored: true },
      'no-new-privs': { kind: 'bool' },
      cap: { kind: 'strings', short: 'c' },
      'preserve-fds': { kind: 'int', default: 0 },
      cgroup: { kind: 'strings', ignored: true },
      'ignore-paused': { kind: 'bool', ignored: true },
    },
    async run(ctx, p) {
      const { execInContainer } = await import('../../runtime/lifecycle/exec.js');
      const [id, ...args] = p.positionals;
      return execInContainer(ctx, needId(p, 'exec') && id!, {
        processFile: p.flags.process as string | undefined,
        args,
        tty: p.flags.tty === true,
        detach: p.flags.detach === true,
        pidFile: p.flags['pid-file'] as string | undefined,
        consoleSocket: p.flags['console-socket'] as string | undefined,
        cwd: p.flags.cwd as string | undefined,
        env: p.flags.env as string[],
        user: p.flags.user as string | undefined,
        additionalGids: (p.flags['additional-gids'] as string[]).flatMap((g) => g.split(',')).map((g) => {
          if (!/^\d+$/.test(g)) throw new BerthError('BERTH_EINVAL', `invalid --additional-gids value "${g}"`);
          return Number(g);
        }),
        caps: p.flags.cap as string[],
        noNewPrivs: p.flags['no-new-privs'] === true,
        preserveFds: p.flags['preserve-fds'] as number,
      });
    },
  },
  pause: {
    summary: 'freeze every process of the container',
    usage: 'ID',
    flags: {},
    async run(ctx, p) {
      const { pauseContainer } = await import('../../runtime/lifecycle/pause.js');
      pauseContainer(ctx, exactlyOneId(p, 'pause'));
      return 0;
    },
  },
  resume: {
    summary: 'thaw a paused container',
    usage: 'ID',
    flags: {},
    async run(ctx, p) {
      const { resumeContainer } = await import('../../runtime/lifecycle/pause.js');
      resumeContainer(ctx, exactlyOneId(p, 'resume'));
      return 0;
    },
  },
  update: {
    summary: 'change the resource limits of a container',
    usage: '[--resources FILE|-] [--memory N] [--memory-swap N] [--cpu-shares N] [--cpu-quota N] [--cpu-period N] [--cpuset-cpus L] [--pids-limit N] ... ID',
    flags: Object.fromEntries(
      ['resources', 'memory', 'memory-reservation', 'memory-swap', 'kernel-memory', 'kernel-memory-tcp', 'cpu-shares', 'cpu-quota', 'cpu-period',
        'cpu-rt-period', 'cpu-rt-runtime', 'cpuset-cpus', 'cpuset-mems', 'pids-limit', 'blkio-weight', 'l3-cache-schema', 'mem-bw-schema']
        .map((n) => [n, { kind: 'string' as const, short: n === 'resources' ? 'r' : undefined }]),
    ),
    async run(ctx, p) {
      const { updateContainer } = await import('../../runtime/lifecycle/update.js');
      updateContainer(ctx, exactlyOneId(p, 'update'), p.flags as Record<string, string>);
      return 0;
    },
  },
  events: {
    summary: 'print container resource statistics as JSON (--stats once, else every --interval)',
    usage: '[--stats] [--interval 5s] ID',
    flags: { stats: { kind: 'bool' }, interval: { kind: 'string', default: '5s' } },
    async run(ctx, p) {
      const { containerStats } = await import('../../runtime/lifecycle/query.js');
      const id = exactlyOneId(p, 'events');
      if (p.flags.stats) {
        out(JSON.stringify(containerStats(ctx, id)) + '\n');
        return 0;
      }
      const m = /^(\d+)(ms|s|m)?$/.exec(p.flags.interval as string);
      if (!m) throw new BerthError('BERTH_EINVAL', `invalid --interval "${String(p.flags.interval)}": want e.g. 5s`);
      const ms = Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 'm' ? 60_000 : 1000);
      for (;;) {
        let stats;
        try { stats = containerStats(ctx, id); } catch { return 0; }
        out(JSON.stringify(stats) + '\n');
        await new Promise((r) => setTimeout(r, ms));
      }
    },
  },
  features: {
    summary: 'print the features this runtime supports as JSON (runtime-spec features.md)',
    usage: '',
    flags: {},
    async run() {
      const { runtimeFeatures } = await import('../../runtime/features.js');
      out(JSON.stringify(runtimeFeatures(), null, 2) + '\n');
      return 0;
    },
  },
  spec: {
    summary: 'write a default config.json in the bundle directory',
    usage: '[--bundle DIR] [--rootless]',
    flags: { bundle: { kind: 'string', short: 'b', default: '.' }, rootless: { kind: 'bool' } },
    async run(_ctx, p) {
      const { defaultSpec } = await import('../../runtime/spec-default.js');
      const path = join(p.flags.bundle as string, 'config.json');
      if (existsSync(path)) throw new BerthError('BERTH_EEXIST', `${path} already exists: remove it first`);
      writeFileSync(path, JSON.stringify(defaultSpec({ rootless: p.flags.rootless === true }), null, '\t') + '\n');
      return 0;
    },
  },
  checkpoint: unsupported('checkpoint'),
  restore: unsupported('restore'),
};

function unsupported(name: string): CommandDef {
  return {
    summary: `not supported (needs CRIU)`,
    usage: 'ID',
    flags: {},
    async run() {
      throw new BerthError('BERTH_EUNSUPPORTED', `${name} is not supported by berth-runtime`);
    },
  };
}
