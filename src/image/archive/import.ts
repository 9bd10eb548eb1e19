// `berth import`: a root filesystem tarball (plain, gzip or zstd) becomes a one-layer image.
// The layer is stored uncompressed, so its digest is its diffID.

import { BerthError, isBerthError } from '../../errors.js';
import { decompress, sniff } from '../unpack/decompress.js';
import type { ImageConfigBody } from '../manifest.js';
import type { LocalImageStore } from '../store.js';
import type { ImageRecord } from '../store/records.js';

export async function importRootfs(store: LocalImageStore, source: AsyncIterable<Uint8Array>, opts: {
  tag?: string; message?: string; config?: Partial<ImageConfigBody>; what?: string;
} = {}): Promise<ImageRecord> {
  const what = opts.what ?? 'import';
  try {
    const { compression, stream } = await sniff(source);
    return await store.createImageFromLayer({
      layerTar: decompress(stream, compression),
      tags: opts.tag === undefined ? [] : [opts.tag],
      ...(opts.message !== undefined ? { comment: opts.message } : {}),
      ...(opts.config !== undefined ? { config: opts.config } : {}),
      createdBy: 'berth import',
    });
  } catch (e) {
    await store.gc().catch(() => undefined);
    if (isBerthError(e)) throw new BerthError(e.code, `${what}: ${e.message}`, { cause: e });
    throw e;
  }
}
