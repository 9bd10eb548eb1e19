// The binary form of a launch plan and of sync frames (format: native/plan.h).
import type { LaunchPlan, MountOp, DeviceOp } from './launch-plan.js';
import { Mode, MountTarget, Tag } from './tags.js';

const HEADER = 6;
const U32_MAX = 0xffffffff;
/** Larger frames are refused; the C side has the same bound. */
export const MAX_FRAME = 64 << 20;

/** Collects the fields of one record payload. */
class Fields {
  private readonly parts: Buffer[] = [];

  u32(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > U32_MAX) throw new RangeError(`u32 out of range: ${v}`);
    const b = Buffer.allocUnsafe(4);
    b.writeUInt32LE(v);
    this.parts.push(b);
    return this;
  }

  u64(v: bigint): this {
    const b = Buffer.allocUnsafe(8);
    b.writeBigUInt64LE(BigInt.asUintN(64, v));
    this.parts.push(b);
    return this;
  }

  /** A str inside a multi-field payload: u32 length, then the bytes. */
  str(s: string): this {
    const bytes = strBytes(s);
    this.u32(bytes.length);
    this.parts.push(bytes);
    return this;
  }

  raw(b: Buffer): this {
    this.parts.push(b);
    return this;
  }

  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}

function strBytes(s: string): Buffer {
  if (s.includes('\0')) throw new RangeError(`string contains a NUL byte: ${JSON.stringify(s)}`);
  return Buffer.from(s, 'utf8');
}

export function encodeFrame(tag: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  if (payload.length > MAX_FRAME) throw new RangeError(`frame of ${payload.length} bytes is too large`);
  const h = Buffer.allocUnsafe(HEADER);
  h.writeUInt16LE(tag, 0);
  h.writeUInt32LE(payload.length, 2);
  return Buffer.concat([h, payload]);
}

const u32 = (v: number): Buffer => new Fields().u32(v).done();
const u64 = (v: bigint): Buffer => new Fields().u64(v).done();
const flag = (b: boolean): Buffer => u32(b ? 1 : 0);

function mountPayload(m: MountOp): Buffer {
  const f = new Fields();
  if (m.idmap) f.u32(m.idmap.holder).u32(m.idmap.recursive ? 1 : 0);
  return f
    .str(m.source)
    .str(m.target)
    .str(m.fstype)
    .u64(m.flags)
    .u64(m.propagation)
    .str(m.data)
    .u64(m.remountFlags)
    .u32(m.targetKind === 'file' ? MountTarget.FILE : MountTarget.DIR)
    .done();
}

function devicePayload(d: DeviceOp): Buffer {
  return new Fields()
    .str(d.path)
    .u32(d.type.charCodeAt(0))
    .u32(d.major)
    .u32(d.minor)
    .u32(d.mode)
    .u32(d.uid)
    .u32(d.gid)
    .u32(d.bindFromHost ? 1 : 0)
    .done();
}

function strv(list: string[]): Buffer {
  const f = new Fields().u32(list.length);
  for (const s of list) f.str(s);
  return f.done();
}

/** The SYNC_PLAN payload: the records in the order native/plan.h lists them. */
export function encodePlan(plan: LaunchPlan): Buffer {
  const recs: Buffer[] = [];
  const rec = (tag: number, payload: Buffer): void => {
    recs.push(encodeFrame(tag, payload));
  };
  rec(Tag.MODE, u32(plan.mode === 'create' ? Mode.CREATE : Mode.EXEC));
  rec(Tag.FOREGROUND, flag(plan.foreground));
  rec(Tag.CLONE_FLAGS, u64(plan.cloneFlags));
  for (const j of plan.joinNamespaces) rec(Tag.JOIN_NS, new Fields().u32(j.type).str(j.path).done());
  rec(Tag.WAIT_GO, flag(plan.waitForGo));
  if (plan.loopbackUp) rec(Tag.LOOPBACK_UP, flag(true));
  rec(Tag.RUN_HOOKS, flag(plan.runHooks));
  if (plan.timeOffsets !== undefined) rec(Tag.TIME_OFFSETS, strBytes(plan.timeOffsets));
  if (plan.usernsHolders.length > 0) rec(Tag.USERNS_HOLDERS, u32(plan.usernsHolders.length));
  if (plan.rootfsIdmap !== undefined) rec(Tag.ROOTFS_IDMAP, u32(plan.rootfsIdmap));
  if (plan.rootfs !== '') rec(Tag.ROOTFS, strBytes(plan.rootfs));
  rec(Tag.ROOTFS_READONLY, flag(plan.rootfsReadonly));
  rec(Tag.ROOTFS_PROPAGATION, u64(plan.rootfsPropagation));
  rec(Tag.NO_PIVOT, flag(plan.noPivot));
  for (const m of plan.mounts) rec(m.idmap ? Tag.IDMAP_MOUNT : Tag.MOUNT, mountPayload(m));
  for (const d of plan.devices) rec(Tag.DEVICE, devicePayload(d));
  for (const s of plan.symlinks) rec(Tag.SYMLINK, new Fields().str(s.target).str(s.path).done());
  for (const p of plan.maskedPaths) rec(Tag.MASK, strBytes(p));
  for (const p of plan.readonlyPaths) rec(Tag.READONLY_PATH, strBytes(p));
  if (plan.hostname !== undefined) rec(Tag.HOSTNAME, strBytes(plan.hostname));
  if (plan.domainname !== undefined) rec(Tag.DOMAINNAME, strBytes(plan.domainname));
  for (const s of plan.sysctls) rec(Tag.SYSCTL, new Fields().str(s.key).str(s.value).done());
  for (const r of plan.rlimits) rec(Tag.RLIMIT, new Fields().u32(r.resource).u64(r.soft).u64(r.hard).done());
  if (plan.capabilities) {
    const c = plan.capabilities;
    rec(Tag.CAPS, new Fields().u64(c.bounding).u64(c.effective).u64(c.inheritable).u64(c.permitted).u64(c.ambient).done());
  }
  rec(Tag.NO_NEW_PRIVS, flag(plan.noNewPrivileges));
  if (plan.seccomp) {
    if (plan.seccomp.program.length % 8 !== 0) throw new RangeError('seccomp program is not a whole number of sock_filter entries');
    rec(Tag.SECCOMP, new Fields().u32(plan.seccomp.flags).raw(plan.seccomp.program).done());
  }
  const u = plan.user;
  const user = new Fields().u32(u.uid).u32(u.gid).u32(u.umask ?? U32_MAX).u32(u.additionalGids.length);
  for (const g of u.additionalGids) user.u32(g);
  rec(Tag.USER, user.done());
  rec(Tag.SETGROUPS, flag(plan.setgroups));
  if (plan.cwd !== '') rec(Tag.CWD, strBytes(plan.cwd));
  rec(Tag.ENV, strv(plan.env));
  rec(Tag.ARGS, strv(plan.args));
  if (plan.execFifo !== undefined) rec(Tag.EXEC_FIFO, strBytes(plan.execFifo));
  rec(Tag.TERMINAL, flag(plan.terminal));
  if (plan.consoleSocket !== undefined) rec(Tag.CONSOLE_SOCKET, strBytes(plan.consoleSocket));
  if (plan.consoleSize) rec(Tag.CONSOLE_SIZE, new Fields().u32(plan.consoleSize.rows).u32(plan.consoleSize.cols).done());
  rec(Tag.PRESERVE_FDS, u32(plan.preserveFds));
  rec(Tag.SYNC_FD, u32(plan.syncFd));
  if (plan.targetPid !== undefined) rec(Tag.CHDIR_NS_PID, u32(plan.targetPid));
  if (plan.hookState) rec(Tag.HOOK_STATE, new Fields().str(plan.hookState.before).str(plan.hookState.after).done());
  for (const h of plan.startHooks) {
    rec(Tag.START_HOOK, new Fields().str(h.path).raw(strv(h.args)).raw(strv(h.env)).u32(h.timeout).done());
  }
  return Buffer.concat(recs);
}

export interface Frame {
  tag: number;
  payload: Buffer;
}

/** Splits a byte stream (the sync socket) into frames, whatever the chunking. */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: Frame[] = [];
    while (this.buf.length >= HEADER) {
      const len = this.buf.readUInt32LE(2);
      if (len > MAX_FRAME) throw new RangeError(`sync frame of ${len} bytes is too large`);
      if (this.buf.length < HEADER + len) break;
      out.push({ tag: this.buf.readUInt16LE(0), payload: Buffer.from(this.buf.subarray(HEADER, HEADER + len)) });
      this.buf = this.buf.subarray(HEADER + len);
    }
    return out;
  }

  /** Bytes received that do not yet make a whole frame. */
  get pending(): number {
    return this.buf.length;
  }
}

export interface HelperError {
  errno: number;
  step: string;
  message: string;
}

/** The payload of SYNC_ERROR: i32 errno, str step, str message. */
export function decodeError(payload: Buffer): HelperError {
  let off = 0;
  const need = (n: number): void => {
    if (off + n > payload.length) throw new RangeError('truncated SYNC_ERROR payload');
  };
  const str = (): string => {
    need(4);
    const len = payload.readUInt32LE(off);
    off += 4;
    need(len);
    const s = payload.toString('utf8', off, off + len);
    off += len;
    return s;
  };
  need(4);
  const errno = payload.readInt32LE(0);
  off = 4;
  const step = str();
  const message = str();
  return { errno, step, message };
}

/** The payload of SYNC_PID and SYNC_EXIT. */
export function decodeU32(payload: Buffer): number {
  if (payload.length !== 4) throw new RangeError(`expected a 4-byte payload, got ${payload.length}`);
  return payload.readUInt32LE(0);
}

export function decodeI32(payload: Buffer): number {
  if (payload.length !== 4) throw new RangeError(`expected a 4-byte payload, got ${payload.length}`);
  return payload.readInt32LE(0);
}

