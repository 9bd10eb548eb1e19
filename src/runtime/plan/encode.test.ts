import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeError, decodeI32, encodeFrame, encodePlan, FrameReader } from './encode.js';
import type { LaunchPlan } from './launch-plan.js';
import { Sync, Tag } from './tags.js';

function plan(extra: Partial<LaunchPlan> = {}): LaunchPlan {
  return {
    mode: 'create', foreground: false, cloneFlags: 0x20020000n, joinNamespaces: [], waitForGo: true, loopbackUp: false, runHooks: false,
    rootfs: '/r', rootfsReadonly: false, rootfsPropagation: 0n, noPivot: false, mounts: [], devices: [], symlinks: [],
    maskedPaths: [], readonlyPaths: [], sysctls: [], rlimits: [], noNewPrivileges: true,
    user: { uid: 1, gid: 2, additionalGids: [] }, setgroups: true, cwd: '/', env: [], args: ['sh'],
    terminal: false, preserveFds: 0, syncFd: 3, usernsHolders: [], startHooks: [], ...extra,
  };
}

/** Splits a plan payload into records, checking every length like the C decoder does. */
function records(buf: Buffer): { tag: number; payload: Buffer }[] {
  const out: { tag: number; payload: Buffer }[] = [];
  let off = 0;
  while (off < buf.length) {
    assert.ok(buf.length - off >= 6, 'truncated header');
    const tag = buf.readUInt16LE(off);
    const len = buf.readUInt32LE(off + 2);
    assert.ok(off + 6 + len <= buf.length, 'record overruns the plan');
    out.push({ tag, payload: buf.subarray(off + 6, off + 6 + len) });
    off += 6 + len;
  }
  return out;
}

const one = (buf: Buffer, tag: number): Buffer[] => records(buf).filter((r) => r.tag === tag).map((r) => r.payload);

describe('encodeFrame / FrameReader', () => {
  it('writes u16 tag, u32 length, payload, little-endian', () => {
    assert.deepEqual(encodeFrame(0x0102, Buffer.from('ab')), Buffer.from([2, 1, 2, 0, 0, 0, 0x61, 0x62]));
    assert.deepEqual(encodeFrame(Sync.GO), Buffer.from([3, 0, 0, 0, 0, 0]));
  });

  it('reassembles frames whatever the chunking', () => {
    const stream = Buffer.concat([encodeFrame(Sync.PID, Buffer.from([1, 2, 3, 4])), encodeFrame(Sync.READY), encodeFrame(Sync.EXIT, Buffer.from([0, 1, 0, 0]))]);
    const byByte = new FrameReader();
    const frames = [];
    for (const b of stream) frames.push(...byByte.push(Buffer.from([b])));
    assert.deepEqual(frames.map((f) => f.tag), [Sync.PID, Sync.READY, Sync.EXIT]);
    assert.equal(decodeI32(frames[2]!.payload), 256);
    assert.equal(byByte.pending, 0);
    const whole = new FrameReader().push(stream);
    assert.deepEqual(whole.map((f) => f.payload.length), [4, 0, 4]);
  });

  it('refuses an absurd frame length instead of buffering forever', () => {
    const h = Buffer.alloc(6);
    h.writeUInt32LE(0xffffffff, 2);
    assert.throws(() => new FrameReader().push(h), RangeError);
  });

  it('decodes SYNC_ERROR payloads', () => {
    const step = Buffer.from('mount');
    const msg = Buffer.from('mount "proc" on /proc: permission denied');
    const p = Buffer.alloc(4 + 4 + step.length + 4 + msg.length);
    p.writeInt32LE(13, 0);
    p.writeUInt32LE(step.length, 4);
    step.copy(p, 8);
    p.writeUInt32LE(msg.length, 8 + step.length);
    msg.copy(p, 12 + step.length);
    assert.deepEqual(decodeError(p), { errno: 13, step: 'mount', message: 'mount "proc" on /proc: permission denied' });
    assert.throws(() => decodeError(p.subarray(0, p.length - 1)), RangeError);
  });
});

describe('encodePlan', () => {
  it('emits records in tag order, with bare strings for single-string records', () => {
    const buf = encodePlan(plan({ hostname: 'h', execFifo: '/f' }));
    const tags = records(buf).map((r) => r.tag);
    assert.deepEqual(tags, [...tags].sort((a, b) => a - b));
    assert.equal(one(buf, Tag.ROOTFS)[0]!.toString(), '/r');
    assert.equal(one(buf, Tag.HOSTNAME)[0]!.toString(), 'h');
    assert.equal(one(buf, Tag.MODE)[0]!.readUInt32LE(0), 1);
    assert.equal(one(buf, Tag.CLONE_FLAGS)[0]!.readBigUInt64LE(0), 0x20020000n);
    assert.equal(one(buf, Tag.DOMAINNAME).length, 0, 'absent optional records are left out');
  });

  it('lays out a mount op as plan.h describes', () => {
    const buf = encodePlan(plan({
      mounts: [{ source: 'proc', target: '/proc', fstype: 'proc', flags: 14n, propagation: 0n, data: '', remountFlags: 1n, targetKind: 'file' }],
    }));
    const m = one(buf, Tag.MOUNT)[0]!;
    const expect = Buffer.alloc(4 + 4 + 4 + 5 + 4 + 4 + 8 + 8 + 4 + 8 + 4);
    let o = 0;
    const str = (s: string): void => {
      o = expect.writeUInt32LE(s.length, o);
      o += expect.write(s, o);
    };
    str('proc');
    str('/proc');
    str('proc');
    o = expect.writeBigUInt64LE(14n, o);
    o = expect.writeBigUInt64LE(0n, o);
    str('');
    o = expect.writeBigUInt64LE(1n, o);
    expect.writeUInt32LE(2, o);
    assert.deepEqual(m, expect);
  });

  it('encodes strv, caps, user, rlimits and the seccomp program', () => {
    const program = Buffer.alloc(16, 7);
    const buf = encodePlan(plan({
      env: ['A=1', 'PATH=/bin'],
      capabilities: { bounding: 1n, effective: 2n, inheritable: 3n, permitted: 4n, ambient: 5n },
      user: { uid: 10, gid: 20, additionalGids: [30, 40] },
      rlimits: [{ resource: 7, soft: 1024n, hard: 0xffffffffffffffffn }],
      seccomp: { flags: 1, program },
    }));
    const env = one(buf, Tag.ENV)[0]!;
    assert.equal(env.readUInt32LE(0), 2);
    assert.equal(env.subarray(8, 11).toString(), 'A=1');
    const caps = one(buf, Tag.CAPS)[0]!;
    assert.deepEqual([0, 8, 16, 24, 32].map((o) => caps.readBigUInt64LE(o)), [1n, 2n, 3n, 4n, 5n]);
    const user = one(buf, Tag.USER)[0]!;
    assert.deepEqual([0, 4, 8, 12, 16, 20].map((o) => user.readUInt32LE(o)), [10, 20, 0xffffffff, 2, 30, 40]);
    const rl = one(buf, Tag.RLIMIT)[0]!;
    assert.deepEqual([rl.readUInt32LE(0), rl.readBigUInt64LE(4), rl.readBigUInt64LE(12)], [7, 1024n, 0xffffffffffffffffn]);
    const sc = one(buf, Tag.SECCOMP)[0]!;
    assert.equal(sc.readUInt32LE(0), 1);
    assert.deepEqual(sc.subarray(4), program);
  });

  it('refuses strings with NUL bytes and partial sock_filter programs', () => {
    assert.throws(() => encodePlan(plan({ args: ['a\0b'] })), RangeError);
    assert.throws(() => encodePlan(plan({ seccomp: { flags: 0, program: Buffer.alloc(5) } })), RangeError);
  });
});
