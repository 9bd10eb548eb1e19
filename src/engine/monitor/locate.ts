// Finds the berth-monitor binary. The package ships native/build beside dist/ and build/, so walking
// up from this module finds it both in a checkout and in an installed package.
import { accessSync, constants } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BerthError } from '../../errors.js';

export const MONITOR_ENV = 'BERTH_MONITOR';
const RELATIVE = join('native', 'build', 'berth-monitor');

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function findMonitorBinary(env: NodeJS.ProcessEnv = process.env, from: string = dirname(fileURLToPath(import.meta.url))): string {
  const override = env[MONITOR_ENV];
  if (override !== undefined && override !== '') {
    if (!executable(override)) throw new BerthError('BERTH_EUNSUPPORTED', `${MONITOR_ENV}=${override} is not an executable file`);
    return override;
  }
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, RELATIVE);
    if (executable(candidate)) return candidate;
    if (dirname(dir) === dir) break;
  }
  throw new BerthError('BERTH_EUNSUPPORTED', `berth-monitor not found above ${from} (build it with make -C native/monitor, or set ${MONITOR_ENV})`);
}
