// A build step's mounts: the snapshotter's descriptions carried out by src/sys. A build holds a
// mount only while one step runs, and every path that mounts also unmounts in a finally block.
import { mountAt } from '../../sys/mounts.js';

export { mountAt, mountsBelow, unmountAll } from '../../sys/mounts.js';

export async function mountOverlay(lower: string, upper: string, work: string, target: string): Promise<void> {
  await mountAt([{ type: 'overlay', source: 'overlay', options: [`lowerdir=${lower}`, `upperdir=${upper}`, `workdir=${work}`] }], target);
}
