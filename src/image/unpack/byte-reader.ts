// Pulls exact byte counts out of a stream of chunks without copying when a request fits in the
// current chunk, which is nearly always (headers are 512 bytes; chunks are tens of kilobytes).

import { BerthError } from '../../errors.js';

const EMPTY = Buffer.alloc(0);

export class ByteReader {
  private chunk: Buffer = EMPTY;
  private off = 0;
  private ended = false;
  /** Bytes handed out so far: the offset of the next byte, for error messages. */
  position = 0;

  constructor(private readonly it: AsyncIterator<Uint8Array>) {}

  private async fill(): Promise<boolean> {
    while (this.off >= this.chunk.length) {
      if (this.ended) return false;
      const r = await this.it.next();
      if (r.done === true) {
        this.ended = true;
        return false;
      }
      const v = r.value;
      this.chunk = Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
      this.off = 0;
    }
    return true;
  }

  /**
   * Exactly n bytes, or undefined at a clean end of stream before the first byte. The result may
   * share memory with the stream's chunk: use it before the next read.
   */
  async readOrEnd(n: number): Promise<Buffer | undefined> {
    if (!(await this.fill())) return undefined;
    if (this.chunk.length - this.off >= n) {
      const out = this.chunk.subarray(this.off, this.off + n);
      this.off += n;
      this.position += n;
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let got = 0;
    while (got < n) {
      if (!(await this.fill())) throw truncated(this.position);
      const take = Math.min(n - got, this.chunk.length - this.off);
      this.chunk.copy(out, got, this.off, this.off + take);
      this.off += take;
      got += take;
      this.position += take;
    }
    return out;
  }

  async read(n: number): Promise<Buffer> {
    if (n === 0) return EMPTY;
    const b = await this.readOrEnd(n);
    if (b === undefined) throw truncated(this.position);
    return b;
  }

  /** n bytes as slices of the stream's chunks. */
  async *slices(n: number): AsyncGenerator<Buffer> {
    while (n > 0) {
      if (!(await this.fill())) throw truncated(this.position);
      const take = Math.min(n, this.chunk.length - this.off);
      const out = this.chunk.subarray(this.off, this.off + take);
      this.off += take;
      this.position += take;
      n -= take;
      yield out;
    }
  }

  async skip(n: number): Promise<void> {
    while (n > 0) {
      if (!(await this.fill())) throw truncated(this.position);
      const take = Math.min(n, this.chunk.length - this.off);
      this.off += take;
      this.position += take;
      n -= take;
    }
  }

  /** Read to the end, so that whoever hashes the stream sees all of it. */
  async drain(): Promise<void> {
    while (await this.fill()) {
      this.position += this.chunk.length - this.off;
      this.off = this.chunk.length;
    }
  }
}

function truncated(at: number): BerthError {
  return new BerthError('BERTH_ELAYER', `layer archive is truncated at byte ${at}`);
}
