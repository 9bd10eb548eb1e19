// berth-runtime: runc's command-line contract over berth's runtime library.
// Only argument parsing and printing live here; each verb's module is loaded when it is used, so
// that a `start` or `state` does not pay for parsing and compiling `create`'s code.
import { parseArgs, type FlagSpecs } from '../args.js';
import { BerthError, oneLine, describeChain } from '../../errors.js';
import { createLogger } from '../../runtime/logger.js';
import type { RuntimeContext } from '../../runtime/lifecycle/context.js';
import { commands, type CommandDef } from './commands.js';

export const VERSION = '0.1.0';
const SPEC_VERSION = '1.2.0';

const GLOBAL_FLAGS: FlagSpecs = {
  root: { kind: 'string', default: '/run/berth-runtime' },
  log: { kind: 'string' },
  'log-format': { kind: 'string', default: 'text' },
  debug: { kind: 'bool' },
  'systemd-cgroup': { kind: 'bool' },
  criu: { kind: 'string', ignored: true },
  rootless: { kind: 'string', ignored: true },
  version: { kind: 'bool', short: 'v' },
  help: { kind: 'bool', short: 'h' },
};

function usage(): string {
  const lines = Object.entries(commands).map(([name, c]) => `   ${name.padEnd(10)} ${c.summary}`);
  return `berth-runtime ${VERSION}: an OCI runtime with runc's command line

usage: berth-runtime [global options] COMMAND [options] [arguments]

commands:
${lines.join('\n')}

global options:
   --root DIR          state directory (default /run/berth-runtime)
   --log FILE          log file (default: stderr)
   --log-format FMT    text or json
   --debug             debug output and full error chains
   --systemd-cgroup    not supported yet: an error
   --version           print the version
`;
}

export async function main(argv: string[]): Promise<number> {
  let debug = argv.includes('--debug');
  let logger = createLogger({});
  try {
    const g = parseArgs(argv, GLOBAL_FLAGS, { stopAtPositional: true });
    debug = g.flags.debug === true;
    const format = g.flags['log-format'];
    if (format !== 'text' && format !== 'json') throw new BerthError('BERTH_EINVAL', `invalid --log-format "${String(format)}": want text or json`);
    logger = createLogger({ path: g.flags.log as string | undefined, format, debug });
    if (g.flags.version) {
      process.stdout.write(`berth-runtime version ${VERSION}\nspec: ${SPEC_VERSION}\n`);
      return 0;
    }
    const [name, ...rest] = g.positionals;
    if (!name || g.flags.help || name === 'help') {
      process.stdout.write(usage());
      return name || g.flags.help ? 0 : 1;
    }
    if (g.flags['systemd-cgroup']) {
      throw new BerthError('BERTH_EUNSUPPORTED', '--systemd-cgroup is not supported yet: berth-runtime manages cgroupfs directly');
    }
    const cmd: CommandDef | undefined = commands[name];
    if (!cmd) throw new BerthError('BERTH_EINVAL', `unknown command "${name}" (see berth-runtime --help)`);
    const p = parseArgs(rest, { help: { kind: 'bool', short: 'h' }, ...cmd.flags }, { stopAtPositional: cmd.stopAtPositional, what: name });
    if (p.flags.help) {
      process.stdout.write(`usage: berth-runtime ${name} ${cmd.usage}\n\n${cmd.summary}\n`);
      return 0;
    }
    const ctx: RuntimeContext = { root: g.flags.root as string, logger };
    return await cmd.run(ctx, p);
  } catch (e) {
    const msg = oneLine(e);
    logger.error(msg);
    process.stderr.write(`berth-runtime: ${msg}\n`);
    if (debug) process.stderr.write(describeChain(e) + '\n');
    return 1;
  }
}
