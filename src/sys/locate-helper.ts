// Where berth-nsexec lives: $BERTH_NSEXEC, else native/build/berth-nsexec in the nearest ancestor
// of this module (the repo in development, the package root once installed).
import { accessSync, constants } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BerthError } from '../errors.js';

const RELATIVE = join('native', 'build', 'berth-nsexec');
let cached: string | undefined;

export function locateHelper(): string {
  const fromEnv = process.env['BERTH_NSEXEC'];
  if (fromEnv) return fromEnv;
  if (cached !== undefined) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, RELATIVE);
    try {
      accessSync(candidate, constants.X_OK);
      cached = candidate;
      return candidate;
    } catch {
      // keep walking up
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new BerthError('BERTH_EUNSUPPORTED', `berth-nsexec not found (looked for ${RELATIVE} above ${dirname(fileURLToPath(import.meta.url))}; run make -C native or set BERTH_NSEXEC)`);
}
