// zstd decoding through the `fzstd` package (Node 20's zlib has no zstd). The package is loaded
// lazily and optionally: until it is installed, a zstd layer fails with a clear error instead of
// the whole program failing to start.

import { createRequire } from 'node:module';
import { BerthError } from '../../errors.js';

interface FzstdStream {
  push(chunk: Uint8Array, final?: boolean): void;
}
interface FzstdModule {
  Decompress: new (ondata: (chunk: Uint8Array, final: boolean) => void) => FzstdStream;
}

let loading: Promise<FzstdModule | undefined> | undefined;

function load(): Promise<FzstdModule | undefined> {
  // A computed specifier keeps tsc from requiring the package's types before it is installed.
  // require, not import(): bin/berth runs from a V8 startup snapshot, where import() is missing.
  const specifier = 'fzstd';
  loading ??= new Promise<FzstdModule>((resolve) => resolve(createRequire(import.meta.url)(specifier) as FzstdModule)).then(
    (m) => (typeof m.Decompress === 'function' ? m : undefined),
    () => undefined,
  );
  return loading;
}

export async function zstdAvailable(): Promise<boolean> {
  return (await load()) !== undefined;
}

export async function* zstdDecompress(source: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer> {
  const mod = await load();
  if (mod === undefined) {
    throw new BerthError('BERTH_EUNSUPPORTED', 'zstd support missing: this layer is zstd-compressed and the fzstd package is not installed');
  }
  const out: Buffer[] = [];
  // Copied: the decoder may hand out views of its window, which it overwrites later.
  const d = new mod.Decompress((chunk) => out.push(Buffer.from(chunk)));
  const push = (chunk: Uint8Array, final: boolean): void => {
    try {
      d.push(chunk, final);
    } catch (e) {
      throw new BerthError('BERTH_ELAYER', `layer archive: corrupt zstd stream (${String((e as Error).message ?? e)})`, { cause: e });
    }
  };
  for await (const chunk of source) {
    push(chunk, false);
    while (out.length > 0) yield out.shift() as Buffer;
  }
  push(new Uint8Array(0), true);
  while (out.length > 0) yield out.shift() as Buffer;
}
