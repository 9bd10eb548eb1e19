// run, create, start, stop, kill, restart, rm, pause, unpause, wait, rename, attach, exec and the
// hidden verbs the monitor calls back with (container cleanup, healthcheck run).
import { BerthError } from '../../../errors.js';
import type { BerthCommand } from '../command.js';
import { atLeast, exactly, forEach, launchStatus, openEngine, reportError } from './common.js';
import { CREATE_FLAGS, RUN_DIFFERENCES, RUN_FLAGS, toCreateRequest } from './run-flags.js';
import { startRelay, type Relay } from './attach-relay.js';
import { trace } from '../../../engine/trace.js';

type Engine = import('../../../engine/engine.js').Engine;

async function runForeground(engine: Engine, id: string, opts: { tty: boolean; stdin: boolean; autoRemove: boolean; sigProxy: boolean }): Promise<number> {
  const { startContainer } = await import('../../../engine/start.js');
  const { readExitFile } = await import('../../../engine/monitor/index.js');
  const { containerPaths } = await import('../../../engine/paths.js');
  const { waitContainer } = await import('../../../engine/stop.js');
  let relay: Relay | undefined;
  const rec = engine.find(id);
  const rt = engine.runtime(rec);
  await startContainer(engine, id, {
    keepRunner: true,
    attach: async (sock) => {
      relay = await startRelay(sock, {
        tty: opts.tty,
        stdin: opts.stdin,
        ...(opts.sigProxy ? { signal: (s: NodeJS.Signals) => void rt.kill(id, s).catch(() => undefined) } : {}),
      });
    },
  });
  await relay?.done;
  trace('run: output relayed');
  const exit = await readExitFile(containerPaths(engine.paths, id).exitFile).catch(() => null);
  const code = exit?.exitCode ?? (await waitContainer(engine, id));
  // The monitor's exit command left the exit to us (we are alive): do what it would have done.
  const { containerExited } = await import('../../../engine/cleanup.js');
  await containerExited(engine, id);
  trace('run: exit handled');
  const { getContainer, tx, updateContainer } = await import('../../../engine/records.js');
  if (getContainer(engine.db, id) !== undefined) tx(engine.db, () => updateContainer(engine.db, id, { runnerPid: 0 }));
  if (opts.stdin) process.stdin.destroy();
  return code;
}

/** A failed start: 126/127 as docker, the container removed first when --rm. */
async function launchFailed(g: Parameters<BerthCommand['run']>[0], engine: Engine, id: string, autoRemove: boolean, e: unknown, madeHere = false): Promise<number> {
  // A network that could not be set up (a host port taken): `run` leaves nothing behind, so the
  // same command can be retried with another port.
  const network = e instanceof BerthError && e.code === 'BERTH_ENETWORK';
  if (autoRemove || (madeHere && network)) {
    const { removeContainer } = await import('../../../engine/remove.js');
    await removeContainer(engine, id, { force: true, volumes: true }).catch(() => undefined);
  }
  const status = launchStatus(e);
  if (status === undefined) throw e;
  reportError(g, e);
  return status;
}

export const run: BerthCommand = {
  summary: 'create and start a container',
  usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
  flags: RUN_FLAGS,
  stopAtPositional: true,
  differences: RUN_DIFFERENCES,
  async run(g, p) {
    const req = toCreateRequest(p);
    const engine = await openEngine(g);
    trace('run: engine open');
    const { createContainer } = await import('../../../engine/create.js');
    const rec = await createContainer(engine, req);
    if (p.flags.detach === true) {
      const { startContainer } = await import('../../../engine/start.js');
      try {
        await startContainer(engine, rec.id);
      } catch (e) {
        return launchFailed(g, engine, rec.id, req.autoRemove, e, true);
      }
      process.stdout.write(`${rec.id}\n`);
      return 0;
    }
    try {
      return await runForeground(engine, rec.id, { tty: req.tty, stdin: req.openStdin, autoRemove: req.autoRemove, sigProxy: p.flags['sig-proxy'] !== false });
    } catch (e) {
      return launchFailed(g, engine, rec.id, req.autoRemove, e, true);
    }
  },
};

export const create: BerthCommand = {
  summary: 'create a container without starting it',
  usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
  flags: CREATE_FLAGS,
  stopAtPositional: true,
  differences: RUN_DIFFERENCES,
  async run(g, p) {
    const req = toCreateRequest(p);
    const engine = await openEngine(g);
    const { createContainer } = await import('../../../engine/create.js');
    const rec = await createContainer(engine, req);
    process.stdout.write(`${rec.id}\n`);
    return 0;
  },
};

export const start: BerthCommand = {
  summary: 'start one or more stopped containers',
  usage: '[-a] [-i] CONTAINER... | --all-restartable',
  flags: { attach: { kind: 'bool', short: 'a' }, interactive: { kind: 'bool', short: 'i' }, 'all-restartable': { kind: 'bool' } },
  differences: '--all-restartable (for boot) starts every container with --restart always, and unless-stopped ones not stopped by hand.',
  async run(g, p) {
    const engine = await openEngine(g);
    if (p.flags['all-restartable'] === true) {
      const { startRestartable } = await import('../../../engine/cleanup.js');
      for (const id of await startRestartable(engine)) process.stdout.write(`${id}\n`);
      return 0;
    }
    const refs = atLeast(p, 1, 'start');
    if (p.flags.attach === true) {
      if (refs.length > 1) throw new BerthError('BERTH_EINVAL', 'you cannot start and attach multiple containers at once');
      const rec = engine.find(refs[0]!);
      try {
        return await runForeground(engine, rec.id, { tty: rec.config.request.tty, stdin: p.flags.interactive === true && rec.config.request.openStdin, autoRemove: rec.config.request.autoRemove, sigProxy: true });
      } catch (e) {
        return launchFailed(g, engine, rec.id, false, e);
      }
    }
    const { startContainer } = await import('../../../engine/start.js');
    let status = 0;
    for (const ref of refs) {
      try {
        await startContainer(engine, ref);
        process.stdout.write(`${ref}\n`);
      } catch (e) {
        reportError(g, e);
        status = refs.length === 1 ? (launchStatus(e) ?? 125) : 1;
      }
    }
    return status;
  },
};

export const stop: BerthCommand = {
  summary: 'stop running containers (stop signal, then SIGKILL after the timeout)',
  usage: '[-t SECONDS] CONTAINER...',
  flags: { time: { kind: 'int', short: 't' }, timeout: { kind: 'int' } },
  async run(g, p) {
    const engine = await openEngine(g);
    const { stopContainer } = await import('../../../engine/stop.js');
    const t = (p.flags.time ?? p.flags.timeout) as number | undefined;
    return forEach(g, atLeast(p, 1, 'stop'), async (ref) => {
      await stopContainer(engine, ref, t);
      return ref;
    });
  },
};

export const kill: BerthCommand = {
  summary: 'send a signal (default SIGKILL) to running containers',
  usage: '[-s SIGNAL] CONTAINER...',
  flags: { signal: { kind: 'string', short: 's', default: 'SIGKILL' } },
  async run(g, p) {
    const engine = await openEngine(g);
    const { killContainer } = await import('../../../engine/stop.js');
    return forEach(g, atLeast(p, 1, 'kill'), async (ref) => {
      await killContainer(engine, ref, p.flags.signal as string);
      return ref;
    });
  },
};

export const restart: BerthCommand = {
  summary: 'restart containers',
  usage: '[-t SECONDS] CONTAINER...',
  flags: { time: { kind: 'int', short: 't' } },
  async run(g, p) {
    const engine = await openEngine(g);
    const { restartContainer } = await import('../../../engine/stop.js');
    return forEach(g, atLeast(p, 1, 'restart'), async (ref) => {
      await restartContainer(engine, ref, p.flags.time as number | undefined);
      return ref;
    });
  },
};

export const rm: BerthCommand = {
  summary: 'remove containers (with -f also running ones; -v also their anonymous volumes)',
  usage: '[-f] [-v] CONTAINER...',
  flags: { force: { kind: 'bool', short: 'f' }, volumes: { kind: 'bool', short: 'v' } },
  async run(g, p) {
    const engine = await openEngine(g);
    const { removeContainer } = await import('../../../engine/remove.js');
    return forEach(g, atLeast(p, 1, 'rm'), async (ref) => {
      await removeContainer(engine, ref, { force: p.flags.force === true, volumes: p.flags.volumes === true });
      return ref;
    });
  },
};

export const pause: BerthCommand = {
  summary: 'freeze every process of containers',
  usage: 'CONTAINER...',
  flags: {},
  async run(g, p) {
    const engine = await openEngine(g);
    const { pauseContainer } = await import('../../../engine/stop.js');
    return forEach(g, atLeast(p, 1, 'pause'), async (ref) => {
      await pauseContainer(engine, ref);
      return ref;
    });
  },
};

export const unpause: BerthCommand = {
  summary: 'thaw paused containers',
  usage: 'CONTAINER...',
  flags: {},
  async run(g, p) {
    const engine = await openEngine(g);
    const { unpauseContainer } = await import('../../../engine/stop.js');
    return forEach(g, atLeast(p, 1, 'unpause'), async (ref) => {
      await unpauseContainer(engine, ref);
      return ref;
    });
  },
};

export const wait: BerthCommand = {
  summary: 'wait for containers to stop, print their exit codes',
  usage: 'CONTAINER...',
  flags: {},
  async run(g, p) {
    const engine = await openEngine(g);
    const { waitContainer } = await import('../../../engine/stop.js');
    return forEach(g, atLeast(p, 1, 'wait'), async (ref) => String(await waitContainer(engine, ref)));
  },
};

export const rename: BerthCommand = {
  summary: 'rename a container',
  usage: 'CONTAINER NEW_NAME',
  flags: {},
  async run(g, p) {
    const [ref, name] = exactly(p, 2, 'rename', 'CONTAINER NEW_NAME');
    const engine = await openEngine(g);
    const { checkName } = await import('../../../engine/ids.js');
    const { tx, updateContainer } = await import('../../../engine/records.js');
    const rec = engine.find(ref!);
    const n = checkName(name!);
    tx(engine.db, () => updateContainer(engine.db, rec.id, { name: n }));
    return 0;
  },
};

export const attach: BerthCommand = {
  summary: "attach this terminal to a running container's output (and input)",
  usage: '[--no-stdin] [--sig-proxy=false] CONTAINER',
  flags: { 'no-stdin': { kind: 'bool' }, 'sig-proxy': { kind: 'bool', default: true } },
  differences: 'attach shows only live output; earlier output is in `berth logs`.',
  async run(g, p) {
    const [ref] = exactly(p, 1, 'attach', 'CONTAINER');
    const engine = await openEngine(g);
    const { lookup } = await import('../../../engine/state.js');
    const { containerPaths } = await import('../../../engine/paths.js');
    const { waitContainer } = await import('../../../engine/stop.js');
    const rec = await lookup(engine, ref!);
    if (rec.state !== 'running' && rec.state !== 'paused') throw new BerthError('BERTH_ESTATE', `cannot attach to a stopped container, start it first`);
    const req = rec.config.request;
    const rt = engine.runtime(rec);
    const relay = await startRelay(containerPaths(engine.paths, rec.id).attach, {
      tty: req.tty,
      stdin: req.openStdin && p.flags['no-stdin'] !== true,
      ...(p.flags['sig-proxy'] !== false ? { signal: (s: NodeJS.Signals) => void rt.kill(rec.id, s).catch(() => undefined) } : {}),
    });
    await relay.done;
    if (req.openStdin && p.flags['no-stdin'] !== true) process.stdin.destroy();
    return waitContainer(engine, rec.id);
  },
};

export const exec: BerthCommand = {
  summary: 'run a command in a running container',
  usage: '[-d] [-i] [-t] [-u USER] [-w DIR] [-e K=V] CONTAINER COMMAND [ARG...]',
  stopAtPositional: true,
  flags: {
    detach: { kind: 'bool', short: 'd' },
    interactive: { kind: 'bool', short: 'i' },
    tty: { kind: 'bool', short: 't' },
    user: { kind: 'string', short: 'u' },
    workdir: { kind: 'string', short: 'w' },
    env: { kind: 'strings', short: 'e' },
    'env-file': { kind: 'strings' },
    privileged: { kind: 'bool' },
  },
  async run(g, p) {
    const [ref, ...cmd] = atLeast(p, 2, 'exec', 'CONTAINER COMMAND');
    const engine = await openEngine(g);
    const { lookup } = await import('../../../engine/state.js');
    const { execInteractive } = await import('../../../engine/exec.js');
    const { expandEnv, readEnvFile } = await import('../../../engine/parse.js');
    const rec = await lookup(engine, ref!);
    const env = [...(p.flags['env-file'] as string[]).flatMap(readEnvFile), ...(p.flags.env as string[]).flatMap((e) => expandEnv(e))];
    try {
      return await execInteractive(engine, rec, {
        cmd,
        tty: p.flags.tty === true,
        interactive: p.flags.interactive === true,
        detach: p.flags.detach === true,
        env,
        ...(p.flags.user !== undefined ? { user: p.flags.user as string } : {}),
        ...(p.flags.workdir !== undefined ? { workdir: p.flags.workdir as string } : {}),
      });
    } catch (e) {
      const status = launchStatus(e);
      if (status === undefined) throw e;
      reportError(g, e);
      return status;
    }
  },
};

export const cleanup: BerthCommand = {
  summary: '(internal) record a container exit, apply --rm and the restart policy',
  usage: 'CONTAINER',
  flags: {},
  async run(g, p) {
    const [id] = exactly(p, 1, 'container cleanup', 'CONTAINER');
    const engine = await openEngine(g);
    const { containerExited } = await import('../../../engine/cleanup.js');
    await containerExited(engine, id!);
    return 0;
  },
};

export const healthcheckRun: BerthCommand = {
  summary: "(internal) run a container's healthcheck once and record the result",
  usage: 'CONTAINER',
  flags: {},
  async run(g, p) {
    const [ref] = exactly(p, 1, 'healthcheck run', 'CONTAINER');
    const engine = await openEngine(g);
    const { runHealthcheck } = await import('../../../engine/health.js');
    const rec = engine.find(ref!);
    const h = await runHealthcheck(engine, rec.id);
    if (h === null) return 1;
    return h.Status === 'unhealthy' ? 1 : 0;
  },
};
