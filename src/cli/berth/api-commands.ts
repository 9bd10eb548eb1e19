// `berth system service`: serves the Docker Engine API (src/api) on a unix socket.
import type { BerthCommand, CommandTable, GlobalOptions } from './command.js';
import type { Parsed } from '../args.js';
import { BerthError } from '../../errors.js';

const serviceCommand: BerthCommand = {
  summary: 'serve the Docker Engine API on a unix socket (for the docker CLI, compose, SDKs)',
  usage: '[--socket PATH] [--timeout SECONDS] [--listen tcp://127.0.0.1:PORT]',
  flags: {
    socket: { kind: 'string' },
    timeout: { kind: 'int', default: 5 },
    listen: { kind: 'strings' },
    'allow-remote': { kind: 'bool' },
    backend: { kind: 'string', default: 'engine' },
  },
  differences: 'like `podman system service`: it serves until --timeout seconds pass without a connection (0: until stopped). ' +
    'TCP is served only with --listen, and only on loopback addresses unless --allow-remote is given (the API has no authentication). ' +
    '--backend fake serves an in-memory engine for trying clients.',
  async run(g: GlobalOptions, p: Parsed): Promise<number> {
    const { startService } = await import('../../api/server.js');
    const timeout = p.flags.timeout as number;
    if (timeout < 0) throw new BerthError('BERTH_EINVAL', '--timeout must be 0 or more seconds');
    const listen = p.flags.listen as string[];
    const socketFlag = p.flags.socket as string | undefined;
    // With only --listen, no socket is made unless one is asked for.
    const socket = socketFlag ?? (listen.length > 0 ? undefined : `${g.runRoot.replace(/\/$/, '')}/berth.sock`);
    let backend;
    if (p.flags.backend === 'fake') backend = new (await import('../../api/fake-backend.js')).FakeBackend();
    else if (p.flags.backend === 'engine') backend = await (await import('../../api/engine/index.js')).openEngineBackend({ root: g.root, runRoot: g.runRoot });
    else throw new BerthError('BERTH_EINVAL', `--backend ${String(p.flags.backend)}: want engine or fake`);
    const log = (line: string): void => { process.stderr.write(`berth: ${line}\n`); };
    const service = await startService({
      backend, socket, listen, allowRemote: p.flags['allow-remote'] === true, idleTimeoutSec: timeout,
      log: g.debug ? log : (line) => { if (line.startsWith('warning') || line.startsWith('idle')) log(line); },
    });
    process.stderr.write(`berth: serving the Docker Engine API on ${service.addresses.map((a) => a.startsWith('tcp://') ? a : `unix://${a}`).join(', ')}\n`);
    const stop = (): void => { void service.stop(); };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    await service.stopped;
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
    return 0;
  },
};

export const apiCommands: CommandTable = {
  'system service': async () => serviceCommand,
};
