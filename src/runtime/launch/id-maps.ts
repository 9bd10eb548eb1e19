// The parent's part of a new user namespace: writing the id maps of the waiting child.
import { writeFileSync } from 'node:fs';
import { BerthError, errnoText } from '../../errors.js';

import type { IdMapping } from '../plan/launch-plan.js';

export type { IdMapping };

function writeProcFile(pid: number, name: string, text: string): void {
  const path = `/proc/${pid}/${name}`;
  try {
    // the kernel takes a map in one write(2) only; writeFileSync issues one for text this small
    writeFileSync(path, text);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new BerthError('BERTH_ELAUNCH', `write ${path}: ${errnoText(code)}`, { cause: e, detail: { step: 'id maps', code } });
  }
}

const format = (maps: IdMapping[]): string => maps.map((m) => `${m.containerID} ${m.hostID} ${m.size}\n`).join('');

export function writeIdMappings(
  pid: number,
  uidMappings: IdMapping[],
  gidMappings: IdMapping[],
  opts: { setgroupsDeny?: boolean } = {},
): void {
  // setgroups must be denied before gid_map is written, or the kernel refuses the deny
  if (opts.setgroupsDeny) writeProcFile(pid, 'setgroups', 'deny');
  if (uidMappings.length > 0) writeProcFile(pid, 'uid_map', format(uidMappings));
  if (gidMappings.length > 0) writeProcFile(pid, 'gid_map', format(gidMappings));
}
