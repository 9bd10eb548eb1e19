// Process entry of a network's DNS daemon: `node daemon-entry.js --state-dir DIR` (bundled as
// dist/berth-dns.mjs). Started by berth on the first attach to a user network.
import { runDnsDaemon } from './daemon.js';

const i = process.argv.indexOf('--state-dir');
const dir = i > 0 ? process.argv[i + 1] : undefined;
if (!dir) {
  process.stderr.write('usage: berth-dns --state-dir DIR\n');
  process.exit(2);
}
runDnsDaemon({ stateDir: dir }).then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`berth-dns: ${(e as Error).message ?? String(e)}\n`);
    process.exit(1);
  },
);
