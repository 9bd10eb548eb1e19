// Process entry of berth-runtime (bundled to dist/berth-runtime.mjs).
import { main } from './main.js';

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e: unknown) => { process.stderr.write(`berth-runtime: ${String(e)}\n`); process.exitCode = 1; },
);
