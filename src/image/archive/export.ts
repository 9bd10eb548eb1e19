// The engine's `berth export`: a container's mounted root filesystem as a tar stream.

import { Readable } from 'node:stream';
import { tarDirectory } from './tar-dir.js';

export function exportContainerFs(mountedRootDir: string): Readable {
  return Readable.from(tarDirectory(mountedRootDir), { objectMode: false });
}
