// A build step's mounts: the snapshotter's descriptions carried out by src/sys. A build holds a
// mount only while one step runs, and every path that mounts also unmounts in a finally block.
import { mountAt as sysMountAt } from '../../sys/mounts.js';
import type { Mount } from '../../storage/snapshotter.js';

export { mountsBelow, unmountAll } from '../../sys/mounts.js';

export async function mountAt(mounts: Mount[], target: string, opts: { readonly?: boolean } = {}): Promise<void> {
  await sysMountAt(mounts, target, opts);
}

export async function mountOverlay(lower: string, upper: string, work: string, target: string): Promise<void> {
  await sysMountAt([{ type: 'overlay', source: 'overlay', options: [`lowerdir=${lower}`, `upperdir=${upper}`, `workdir=${work}`] }], target);
}
