// berth: the engine's docker-style CLI. Parses global flags, finds the verb, prints errors as one
// line (exit 125 for an engine error, as docker does); the verbs live in *-commands.ts.
import { parseArgs, type FlagSpecs } from '../args.js';
import { BerthError, oneLine, describeChain } from '../../errors.js';
import type { BerthCommand, CommandTable, GlobalOptions } from './command.js';
import { containerCommands } from './container-commands.js';
import { imageCommands } from './image-commands.js';
import { buildCommands } from './build-commands.js';
import { networkCommands } from './network-commands.js';
import { apiCommands } from './api-commands.js';
import { trace } from '../../engine/trace.js';

export const VERSION = '0.1.0';

// A function, not a constant: the defaults come from the environment of this process, and the
// module may have been evaluated when the startup snapshot was built (scripts/bundle.mjs).
function globalFlags(): FlagSpecs {
  return {
    root: { kind: 'string', default: process.env.BERTH_ROOT ?? '/var/lib/berth' },
    'run-root': { kind: 'string', default: process.env.BERTH_RUN_ROOT ?? '/run/berth' },
    debug: { kind: 'bool', short: 'D' },
    version: { kind: 'bool', short: 'v' },
    help: { kind: 'bool', short: 'h' },
  };
}

/** `docker container ls` and friends: group verbs map onto the flat ones. */
const GROUPS: Record<string, Record<string, string>> = {
  container: { ls: 'ps', list: 'ps', rm: 'rm', remove: 'rm', prune: 'container-prune' },
  image: { ls: 'images', list: 'images', rm: 'rmi', remove: 'rmi', prune: 'image-prune' },
};

function table(): CommandTable {
  return { ...containerCommands, ...imageCommands, ...buildCommands, ...networkCommands, ...apiCommands };
}

const HIDDEN = new Set(['container cleanup', 'healthcheck run', 'network dns-serve']);

async function usage(): Promise<string> {
  const t = table();
  const lines: string[] = [];
  const groups = new Map<string, string[]>();
  for (const name of Object.keys(t).sort()) {
    if (name.includes('-prune')) continue;
    const [head, sub] = name.split(' ');
    // Verbs the monitor runs (`container cleanup`, `healthcheck run`) are not for people.
    if (HIDDEN.has(name)) continue;
    if (sub) {
      groups.set(head!, [...(groups.get(head!) ?? []), sub]);
      continue;
    }
    const cmd = await t[name]!();
    lines.push(`   ${name.padEnd(12)} ${cmd.summary}`);
  }
  for (const [head, subs] of [...groups].sort()) {
    if (t[head]) continue;
    lines.push(`   ${head.padEnd(12)} ${subs.join(', ')}`);
  }
  lines.sort();
  if (!t['version']) lines.push(`   ${'version'.padEnd(12)} print the version of berth`);
  return `usage: berth [--root DIR] [--run-root DIR] [--debug] COMMAND [options]

berth ${VERSION}: a daemonless container engine with docker's command line

commands:
${lines.join('\n')}
   runtime      run berth-runtime (runc's command line): berth runtime ARGS...

Run 'berth COMMAND --help' for a command's flags and where it differs from docker.
`;
}

export async function main(argv: string[]): Promise<number> {
  trace('main: begin');
  let debug = argv.includes('--debug') || argv.includes('-D');
  try {
    const g = parseArgs(argv, globalFlags(), { stopAtPositional: true, what: 'berth' });
    debug = g.flags.debug === true;
    let [name, ...rest] = g.positionals;
    if (g.flags.version) name = 'version';
    if (!name || g.flags.help || name === 'help') {
      process.stdout.write(await usage());
      return name || g.flags.help ? 0 : 1;
    }
    if (name === 'version' && !table()['version']) {
      process.stdout.write(`berth version ${VERSION}\nnode ${process.version}\n`);
      return 0;
    }
    if (name === 'runtime') {
      const runtime = await import('../berth-runtime/main.js');
      return runtime.main(rest);
    }
    const group = GROUPS[name];
    if (group && rest[0] && group[rest[0]]) {
      name = group[rest[0]]!;
      rest = rest.slice(1);
    } else if (rest[0] && table()[`${name} ${rest[0]}`]) {
      name = `${name} ${rest[0]}`;
      rest = rest.slice(1);
    }
    const load = table()[name];
    if (!load) {
      // `berth system`, `berth network`…: the group's verbs, as docker prints them
      const subs = Object.keys(table()).filter((k) => k.startsWith(`${name} `) && !HIDDEN.has(k)).map((k) => k.slice(name!.length + 1)).sort();
      if (subs.length > 0 && (rest.length === 0 || rest[0] === '--help' || rest[0] === '-h')) {
        process.stdout.write(`usage: berth ${name} COMMAND\n\ncommands: ${subs.join(', ')}\n\nRun 'berth ${name} COMMAND --help' for a command's flags.\n`);
        return 0;
      }
      if (subs.length > 0) throw new BerthError('BERTH_EINVAL', `unknown command "${name} ${rest[0]}" (berth ${name} has: ${subs.join(', ')})`);
      throw new BerthError('BERTH_EINVAL', `unknown command "${name}" (see berth --help)`);
    }
    const cmd: BerthCommand = await load();
    const p = parseArgs(rest, { help: { kind: 'bool', short: 'h' }, ...cmd.flags }, { stopAtPositional: cmd.stopAtPositional, what: name });
    if (p.flags.help) {
      process.stdout.write(`usage: berth ${name} ${cmd.usage}\n\n${cmd.summary}\n${cmd.differences ? `\nUnlike docker: ${cmd.differences}\n` : ''}`);
      return 0;
    }
    const opts: GlobalOptions = { root: g.flags.root as string, runRoot: g.flags['run-root'] as string, debug };
    return await cmd.run(opts, p);
  } catch (e) {
    process.stderr.write(`berth: ${oneLine(e)}\n`);
    if (debug) process.stderr.write(describeChain(e) + '\n');
    return 125;
  }
}
