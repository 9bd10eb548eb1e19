// berth: the engine's docker-style CLI. The engine verbs land with the engine (src/engine/); until
// then berth knows its version and hands OCI-runtime work to berth-runtime.
import { BerthError, oneLine } from '../../errors.js';

export const VERSION = '0.1.0';

const HELP = `usage: berth COMMAND

commands:
   version    print the version of berth and its runtime
   runtime    run berth-runtime (runc's command line): berth runtime ARGS...

The container verbs (run, ps, images, ...) come with berth's engine.
`;

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(HELP);
        return cmd === undefined ? 1 : 0;
      case 'version':
      case '--version':
        process.stdout.write(`berth version ${VERSION}\nnode ${process.version}\n`);
        return 0;
      case 'runtime': {
        const runtime = await import('../berth-runtime/main.js');
        return runtime.main(rest);
      }
      default:
        throw new BerthError('BERTH_EINVAL', `unknown command "${cmd}" (see berth --help)`);
    }
  } catch (e) {
    process.stderr.write(`berth: ${oneLine(e)}\n`);
    return 125;
  }
}
