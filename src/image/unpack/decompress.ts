// Layers are identified by content, not by media type alone: the first bytes decide between gzip,
// zstd and plain tar, so a mislabelled layer still unpacks and a bzip2/xz one is refused by name.

import { createGunzip } from 'node:zlib';
import { Readable, pipeline } from 'node:stream';
import { BerthError } from '../../errors.js';
import { zstdDecompress } from './zstd.js';

export type Compression = 'gzip' | 'zstd' | 'none';

export function detectCompression(head: Uint8Array): Compression {
  const b = (i: number): number | undefined => head[i];
  if (b(0) === 0x1f && b(1) === 0x8b) return 'gzip';
  if (b(0) === 0x28 && b(1) === 0xb5 && b(2) === 0x2f && b(3) === 0xfd) return 'zstd';
  if (b(0) === 0x42 && b(1) === 0x5a && b(2) === 0x68) throw new BerthError('BERTH_EUNSUPPORTED', 'bzip2-compressed layers are not supported');
  if (b(0) === 0xfd && b(1) === 0x37 && b(2) === 0x7a && b(3) === 0x58 && b(4) === 0x5a) {
    throw new BerthError('BERTH_EUNSUPPORTED', 'xz-compressed layers are not supported');
  }
  return 'none';
}

/** The stream with its first bytes read ahead, and what they say about compression. */
export async function sniff(source: AsyncIterable<Uint8Array>): Promise<{ compression: Compression; stream: AsyncIterable<Buffer> }> {
  const it = source[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let have = 0;
  let done = false;
  while (have < 6) {
    const r = await it.next();
    if (r.done === true) {
      done = true;
      break;
    }
    const b = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength);
    head.push(b);
    have += b.length;
  }
  const compression = detectCompression(Buffer.concat(head));
  async function* replay(): AsyncGenerator<Buffer> {
    yield* head;
    if (done) return;
    for (;;) {
      const r = await it.next();
      if (r.done === true) return;
      yield Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength);
    }
  }
  return { compression, stream: replay() };
}

export function decompress(stream: AsyncIterable<Buffer>, compression: Compression): AsyncIterable<Buffer> {
  switch (compression) {
    case 'none':
      return stream;
    case 'zstd':
      return zstdDecompress(stream);
    case 'gzip': {
      const gunzip = createGunzip({ chunkSize: 256 * 1024 });
      // pipeline destroys the gunzip stream with the source's error, so the reader sees it.
      pipeline(Readable.from(stream, { objectMode: false }), gunzip, () => undefined);
      return wrapErrors(gunzip);
    }
  }
}

async function* wrapErrors(s: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  try {
    yield* s;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && code.startsWith('Z_')) {
      throw new BerthError('BERTH_ELAYER', `layer archive: corrupt gzip stream (${(e as Error).message})`, { cause: e });
    }
    throw e;
  }
}
