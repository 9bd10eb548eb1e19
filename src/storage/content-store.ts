// The content store: blobs named by their sha256 under <root>/blobs/sha256/<hex>.
//
// Ingest writes to <root>/ingest/<sha256(ref)>/data while hashing, checks size and digest, fsyncs,
// and renames into blobs/ — the rename is the commit, so a blob path either holds verified bytes or
// does not exist. Committed blobs are made read-only (0444) because nothing may change them.
//
// Interrupted ingests: we do not resume. Resuming needs the caller to send only the missing bytes
// (a registry Range request), and nothing asks for that yet; so a later ingest with the same ref
// whose previous owner is gone discards the partial data and starts over. A live ingest holding
// the ref makes the second one fail with BERTH_ELOCKED instead of interleaving writes.

import { createReadStream, type ReadStream } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, rm, stat, unlink, type FileHandle } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { BerthError } from '../errors.js';
import { digestHex, digestOf, parseDigest, type Digest } from './digest.js';

export interface BlobInfo {
  digest: Digest;
  size: number;
  /** When the blob was committed (its mtime). */
  committedAt: Date;
}

export interface IngestOptions {
  expectedDigest?: string;
  expectedSize?: number;
}

export type ByteSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

export class ContentStore {
  readonly root: string;

  constructor(root: string) {
    this.root = root;
  }

  blobPath(digest: string): string {
    return join(this.root, 'blobs', 'sha256', digestHex(parseDigest(digest)));
  }

  private ingestDir(ref: string): string {
    if (ref.length === 0) throw new BerthError('BERTH_EINVAL', 'an ingest ref must not be empty');
    // Refs are caller strings (often containing '/' and ':'); hashing makes any of them a safe name.
    return join(this.root, 'ingest', createHash('sha256').update(ref).digest('hex'));
  }

  async ingest(ref: string, source: ByteSource, opts: IngestOptions = {}): Promise<BlobInfo> {
    const expected = opts.expectedDigest === undefined ? undefined : parseDigest(opts.expectedDigest);
    if (opts.expectedSize !== undefined && (!Number.isSafeInteger(opts.expectedSize) || opts.expectedSize < 0)) {
      throw new BerthError('BERTH_EINVAL', `invalid expected size ${opts.expectedSize}`);
    }
    const dir = this.ingestDir(ref);
    await mkdir(join(this.root, 'blobs', 'sha256'), { recursive: true });
    await this.lockIngest(dir, ref);
    const dataPath = join(dir, 'data');
    let fh: FileHandle | undefined;
    try {
      fh = await open(dataPath, 'w', 0o644);
      const hash = createHash('sha256');
      let size = 0;
      for await (const chunk of source) {
        size += chunk.byteLength;
        if (opts.expectedSize !== undefined && size > opts.expectedSize) {
          throw new BerthError('BERTH_EDIGEST', `ingest ${ref}: more than the expected ${opts.expectedSize} bytes`);
        }
        hash.update(chunk);
        await fh.write(chunk);
      }
      if (opts.expectedSize !== undefined && size !== opts.expectedSize) {
        throw new BerthError('BERTH_EDIGEST', `ingest ${ref}: got ${size} bytes, expected ${opts.expectedSize}`);
      }
      const digest: Digest = `sha256:${hash.digest('hex')}`;
      if (expected !== undefined && digest !== expected) {
        throw new BerthError('BERTH_EDIGEST', `ingest ${ref}: content has digest ${digest}, expected ${expected}`);
      }
      await fh.sync();
      await fh.chmod(0o444);
      await fh.close();
      fh = undefined;
      const target = this.blobPath(digest);
      const existing = await statOrUndefined(target);
      if (existing === undefined) {
        await rename(dataPath, target);
        await fsyncDir(join(this.root, 'blobs', 'sha256'));
      }
      return existing === undefined ? await this.info(digest) : { digest, size: existing.size, committedAt: existing.mtime };
    } finally {
      if (fh !== undefined) await fh.close().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** Take the ref: a lock file holding our pid. A lock whose process is gone is stale and is swept. */
  private async lockIngest(dir: string, ref: string): Promise<void> {
    await mkdir(dir, { recursive: true });
    const lock = join(dir, 'lock');
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fh = await open(lock, 'wx', 0o644);
        await fh.writeFile(`${process.pid}\n${ref}\n`);
        await fh.close();
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        const pid = Number.parseInt((await readFile(lock, 'utf8').catch(() => '')).split('\n')[0] ?? '', 10);
        if (Number.isInteger(pid) && pid > 0 && processAlive(pid)) {
          throw new BerthError('BERTH_ELOCKED', `ingest ${ref} is in progress in process ${pid}`);
        }
        await rm(dir, { recursive: true, force: true });
        await mkdir(dir, { recursive: true });
      }
    }
    throw new BerthError('BERTH_ELOCKED', `ingest ${ref}: could not take the ingest lock`);
  }

  async has(digest: string): Promise<boolean> {
    return (await statOrUndefined(this.blobPath(digest))) !== undefined;
  }

  async info(digest: string): Promise<BlobInfo> {
    const d = parseDigest(digest);
    const st = await statOrUndefined(this.blobPath(d));
    if (st === undefined) throw notFound(d);
    return { digest: d, size: st.size, committedAt: st.mtime };
  }

  /** A stream of the blob; fails with BERTH_ENOCONTENT before returning if the blob is missing. */
  async read(digest: string, range?: { start?: number; end?: number }): Promise<ReadStream> {
    const d = parseDigest(digest);
    const path = this.blobPath(d);
    const fh = await open(path, 'r').catch((e: NodeJS.ErrnoException) => {
      throw e.code === 'ENOENT' ? notFound(d) : e;
    });
    return createReadStream('', { fd: fh, autoClose: true, start: range?.start, end: range?.end });
  }

  /**
   * The whole blob in memory, for small documents (manifests, configs). The size limit is checked
   * before reading, and the digest after, so a corrupted store is noticed where it matters most.
   */
  async readAll(digest: string, opts: { maxSize: number }): Promise<Buffer> {
    const d = parseDigest(digest);
    const info = await this.info(d);
    if (info.size > opts.maxSize) {
      throw new BerthError('BERTH_EINVAL', `blob ${d} is ${info.size} bytes, over the limit of ${opts.maxSize}`);
    }
    const data = await readFile(this.blobPath(d));
    if (digestOf(data) !== d) throw new BerthError('BERTH_EDIGEST', `blob ${d} is corrupted: its content no longer matches its digest`);
    return data;
  }

  async delete(digest: string): Promise<void> {
    const d = parseDigest(digest);
    await unlink(this.blobPath(d)).catch((e: NodeJS.ErrnoException) => {
      throw e.code === 'ENOENT' ? notFound(d) : e;
    });
  }

  async *walk(): AsyncGenerator<BlobInfo> {
    const dir = join(this.root, 'blobs', 'sha256');
    const names = await readdir(dir).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return [] as string[];
      throw e;
    });
    for (const name of names.sort()) {
      if (!/^[a-f0-9]{64}$/.test(name)) continue;
      const st = await statOrUndefined(join(dir, name));
      if (st === undefined || !st.isFile()) continue;
      yield { digest: `sha256:${name}`, size: st.size, committedAt: st.mtime };
    }
  }

  /** Drop a stale or unwanted partial ingest. A live ingest is left alone (BERTH_ELOCKED). */
  async abortIngest(ref: string): Promise<void> {
    const dir = this.ingestDir(ref);
    const pid = Number.parseInt((await readFile(join(dir, 'lock'), 'utf8').catch(() => '')).split('\n')[0] ?? '', 10);
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid)) {
      throw new BerthError('BERTH_ELOCKED', `ingest ${ref} is in progress in process ${pid}`);
    }
    await rm(dir, { recursive: true, force: true });
  }
}

function notFound(d: Digest): BerthError {
  return new BerthError('BERTH_ENOCONTENT', `blob ${d} is not in the content store`, { detail: { digest: d } });
}

async function statOrUndefined(path: string) {
  try {
    return await stat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The rename is durable only once the directory entry is on disk. */
async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
