// Docker's multiplexed stdio framing (attach, logs and exec without a tty): each frame is an
// 8-byte header — stream (0 stdin, 1 stdout, 2 stderr), three zero bytes, payload length as a
// big-endian u32 — then the payload.

export const MUX_CONTENT_TYPE = 'application/vnd.docker.multiplexed-stream';
export const RAW_CONTENT_TYPE = 'application/vnd.docker.raw-stream';

export type StreamId = 0 | 1 | 2;

export function frame(stream: StreamId, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head[0] = stream;
  head.writeUInt32BE(data.length, 4);
  return Buffer.concat([head, data]);
}

export function streamId(name: 'stdin' | 'stdout' | 'stderr'): StreamId {
  return name === 'stdin' ? 0 : name === 'stdout' ? 1 : 2;
}

/** Splits framed bytes; returns the frames and what is left of an incomplete one. */
export function deframe(buf: Buffer): { frames: Array<{ stream: number; data: Buffer }>; rest: Buffer } {
  const frames: Array<{ stream: number; data: Buffer }> = [];
  let off = 0;
  while (buf.length - off >= 8) {
    const len = buf.readUInt32BE(off + 4);
    if (buf.length - off - 8 < len) break;
    frames.push({ stream: buf[off]!, data: buf.subarray(off + 8, off + 8 + len) });
    off += 8 + len;
  }
  return { frames, rest: buf.subarray(off) };
}
