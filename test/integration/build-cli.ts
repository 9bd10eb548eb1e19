// `berth build` for the tests until main.ts registers buildCommands: the same command object, with
// main's global flags (--root, --run-root) and its error handling (one line, exit 125).
import { parseArgs } from '../../src/cli/args.js';
import { buildCommands } from '../../src/cli/berth/build-commands.js';
import { oneLine } from '../../src/errors.js';

async function run(argv: string[]): Promise<number> {
  try {
    const g = parseArgs(argv, { root: { kind: 'string' }, 'run-root': { kind: 'string' }, debug: { kind: 'bool' } }, { stopAtPositional: true, what: 'berth' });
    const [verb, ...rest] = g.positionals;
    const load = buildCommands[verb ?? ''];
    if (load === undefined) throw new Error(`unknown command ${verb}`);
    const cmd = await load();
    const p = parseArgs(rest, cmd.flags, { what: verb });
    return await cmd.run({ root: g.flags.root as string, runRoot: g.flags['run-root'] as string, debug: false }, p);
  } catch (e) {
    process.stderr.write(`berth: ${oneLine(e)}\n`);
    return 125;
  }
}

run(process.argv.slice(2)).then((c) => { process.exitCode = c; });
