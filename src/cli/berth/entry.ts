// Process entry of berth (bundled to dist/berth.mjs).
import { main } from './main.js';

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e: unknown) => { process.stderr.write(`berth: ${String(e)}\n`); process.exitCode = 125; },
);
