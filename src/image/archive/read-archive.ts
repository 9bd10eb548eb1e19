// Reading an image archive (docker-archive or OCI layout, plain or gzip-wrapped) in one pass.
// The member that says what the rest is (manifest.json, index.json) may come last, so every
// regular member goes straight into the content store as it streams by, and only the small
// well-known JSON files are kept in memory. Member names are untrusted: absolute names and any
// `..` are refused; symlinks and hardlinks between members become aliases.

import { posix } from 'node:path';
import { BerthError, isBerthError } from '../../errors.js';
import type { ContentStore } from '../../storage/content-store.js';
import type { Digest } from '../../storage/digest.js';
import { decompress, sniff } from '../unpack/decompress.js';
import { readTar } from '../unpack/tar-reader.js';
import type { Lease } from '../store/lease.js';

const SMALL = new Set(['manifest.json', 'repositories', 'index.json', 'oci-layout']);
const SMALL_MAX = 4 << 20;

export interface ArchiveContents {
  /** Member name → blob in the content store. */
  blobs: Map<string, { digest: Digest; size: number }>;
  /** The well-known small files, by name. */
  small: Map<string, Buffer>;
}

function memberName(raw: string): string {
  if (raw.startsWith('/')) throw new BerthError('BERTH_EINVAL', `archive member ${JSON.stringify(raw.slice(0, 200))} has an absolute name`);
  const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new BerthError('BERTH_EINVAL', `archive member ${JSON.stringify(raw.slice(0, 200))} has ".." in its name`);
  return parts.join('/');
}

export async function readArchive(source: AsyncIterable<Uint8Array>, content: ContentStore, lease: Lease, what: string): Promise<ArchiveContents> {
  const out: ArchiveContents = { blobs: new Map(), small: new Map() };
  const aliases = new Map<string, string>();
  let n = 0;
  try {
    const { compression, stream } = await sniff(source);
    const tar = decompress(stream, compression);
    for await (const { entry, body } of readTar(tar)) {
      const name = memberName(entry.path);
      if (entry.type === 'symlink' || entry.type === 'hardlink') {
        const target = entry.type === 'symlink' ? posix.join(posix.dirname(name), entry.linkname) : entry.linkname;
        aliases.set(name, memberName(target));
        continue;
      }
      if (entry.type !== 'file') continue;
      if (SMALL.has(name)) {
        if (entry.size > SMALL_MAX) throw new BerthError('BERTH_EINVAL', `${name} is ${entry.size} bytes, over the limit of ${SMALL_MAX}`);
        const parts: Buffer[] = [];
        for await (const c of body) parts.push(c);
        out.small.set(name, Buffer.concat(parts));
        continue;
      }
      const info = await content.ingest(`load-${lease.id}-${n++}`, body, { expectedSize: entry.size });
      lease.add('blob', info.digest);
      // A GC in another process may have swept the blob between its commit and our lease.
      if (!(await content.has(info.digest))) throw new BerthError('BERTH_ELOCKED', `${what}: a garbage collection ran during the load; try again`);
      out.blobs.set(name, { digest: info.digest, size: info.size });
    }
  } catch (e) {
    if (isBerthError(e) && (e.code === 'BERTH_ELAYER' || e.code === 'BERTH_EDIGEST')) {
      throw new BerthError('BERTH_EINVAL', `${what}: ${e.message.replace(/^layer archive:? ?/, '')}`, { cause: e });
    }
    throw e;
  }
  for (const [name, target] of aliases) {
    let t = target;
    for (let i = 0; i < 8 && aliases.has(t); i++) t = aliases.get(t) as string;
    const b = out.blobs.get(t);
    if (b !== undefined) out.blobs.set(name, b);
  }
  return out;
}
