// Device rules for cgroup v2: the v1 devices controller's semantics, emulated in TypeScript, then
// compiled to an eBPF program of type BPF_PROG_TYPE_CGROUP_DEVICE.
//
// Semantics. The v1 driver writes "deny a" and then each rule to devices.allow/devices.deny, so
// the v2 program must decide exactly what the v1 kernel would after those writes. The kernel
// (security/device_cgroup.c) keeps a default (allow or deny) and a set of exceptions keyed by
// (type, major, minor) with an access mask:
//   - a rule of type "a" resets: allow → default allow, deny → default deny; exceptions cleared;
//   - a rule that disagrees with the default adds its access to the exception with its exact key;
//   - a rule that agrees with the default removes its access from the exception with its exact
//     key only. It does not punch a hole in a wildcard exception ("c *:* rwm" then "c 1:3" the
//     other way) nor touch narrower ones: such a rule is ineffective on v1. We keep that, so both
//     drivers agree, and report the rule so the driver can warn (runc refuses such lists instead).
//   - a request (type, major, minor, access) is allowed, when the default is deny, if one
//     exception matches and holds every requested access bit; when the default is allow, unless
//     some matching exception shares any access bit with the request.
// For lists without such ineffective rules this is "the last matching rule wins".
//
// Program. The context is struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }
// with access_type = (access << 16) | type; it returns 1 to allow and 0 to deny.

import { BerthError } from '../../errors.js';
import type { LinuxDeviceCgroup } from './resources.js';

/** bpf_cgroup_dev_ctx type values (BPF_DEVCG_DEV_*). */
export const DEV_BLOCK = 1;
export const DEV_CHAR = 2;
/** bpf_cgroup_dev_ctx access bits (BPF_DEVCG_ACC_*). */
export const ACC_MKNOD = 1;
export const ACC_READ = 2;
export const ACC_WRITE = 4;
const ACC_ALL = ACC_MKNOD | ACC_READ | ACC_WRITE;
/** The kernel's wildcard major/minor (~0). */
export const WILDCARD = 0xffffffff;

export interface DeviceException {
  type: typeof DEV_BLOCK | typeof DEV_CHAR;
  major: number;
  minor: number;
  access: number;
}

export interface DeviceRuleState {
  defaultAllow: boolean;
  exceptions: DeviceException[];
  /** Rules that, as on v1, could not take (all of) their effect, with the exception in the way. */
  ineffective: { rule: string; blockedBy: string }[];
}

export interface DeviceRequest {
  type: typeof DEV_BLOCK | typeof DEV_CHAR;
  major: number;
  minor: number;
  /** Non-empty subset of ACC_*. */
  access: number;
}

function invalid(rule: LinuxDeviceCgroup, why: string): BerthError {
  return new BerthError('BERTH_EINVAL', `linux.resources.devices: rule ${JSON.stringify(rule)}: ${why}`);
}

function parseNumber(rule: LinuxDeviceCgroup, v: number | undefined, what: string): number {
  if (v === undefined || v === -1) return WILDCARD;
  if (!Number.isInteger(v) || v < 0 || v > WILDCARD) throw invalid(rule, `${what} must be -1 or an integer in [0, 2^32)`);
  return v;
}

export function parseAccess(rule: LinuxDeviceCgroup): number {
  const s = rule.access || 'rwm';
  let acc = 0;
  for (const ch of s) {
    if (ch === 'r') acc |= ACC_READ;
    else if (ch === 'w') acc |= ACC_WRITE;
    else if (ch === 'm') acc |= ACC_MKNOD;
    else throw invalid(rule, `access ${JSON.stringify(s)} is not a subset of "rwm"`);
  }
  return acc;
}

const accessText = (a: number): string => `${a & ACC_READ ? 'r' : ''}${a & ACC_WRITE ? 'w' : ''}${a & ACC_MKNOD ? 'm' : ''}`;
const numText = (n: number): string => (n === WILDCARD ? '*' : String(n));
export const exceptionText = (e: DeviceException): string =>
  `${e.type === DEV_BLOCK ? 'b' : 'c'} ${numText(e.major)}:${numText(e.minor)} ${accessText(e.access)}`;

/** Replays the rules on a v1 devices cgroup that starts as "deny a", as the v1 driver writes them. */
export function emulateDeviceRules(rules: readonly LinuxDeviceCgroup[]): DeviceRuleState {
  let defaultAllow = false;
  let exceptions: DeviceException[] = [];
  const ineffective: DeviceRuleState['ineffective'] = [];
  for (const rule of rules) {
    const t = rule.type ?? 'a';
    if (t !== 'a' && t !== 'b' && t !== 'c') throw invalid(rule, `type ${JSON.stringify(t)} is not one of "a", "b", "c"`);
    const access = parseAccess(rule);
    const major = parseNumber(rule, rule.major, 'major');
    const minor = parseNumber(rule, rule.minor, 'minor');
    if (t === 'a') {
      // The kernel reads nothing after "a": numbers and access are ignored.
      defaultAllow = rule.allow;
      exceptions = [];
      continue;
    }
    const ex: DeviceException = { type: t === 'b' ? DEV_BLOCK : DEV_CHAR, major, minor, access };
    const same = exceptions.find((e) => e.type === ex.type && e.major === major && e.minor === minor);
    if (rule.allow !== defaultAllow) {
      if (same) same.access |= access;
      else exceptions.push(ex);
      continue;
    }
    if (same) {
      same.access &= ~access;
      if (same.access === 0) exceptions = exceptions.filter((e) => e !== same);
    }
    const overlap = (a: number, b: number): boolean => a === WILDCARD || b === WILDCARD || a === b;
    const blocker = exceptions.find((e) => e.type === ex.type && overlap(e.major, major) && overlap(e.minor, minor) && (e.access & access) !== 0);
    if (blocker) ineffective.push({ rule: `${rule.allow ? 'allow' : 'deny'} ${exceptionText(ex)}`, blockedBy: exceptionText(blocker) });
  }
  return { defaultAllow, exceptions, ineffective };
}

const matches = (e: DeviceException, r: DeviceRequest): boolean =>
  e.type === r.type && (e.major === WILDCARD || e.major === r.major) && (e.minor === WILDCARD || e.minor === r.minor);

/** The v1 kernel's decision for one request (the reference the program is tested against). */
export function deviceAllowed(state: DeviceRuleState, r: DeviceRequest): boolean {
  if (state.defaultAllow) return !state.exceptions.some((e) => matches(e, r) && (e.access & r.access) !== 0);
  return state.exceptions.some((e) => matches(e, r) && (r.access & ~e.access) === 0);
}

// eBPF opcodes (linux/bpf_common.h, linux/bpf.h): class | op | source.
const LDX_MEM_W = 0x61;
const ALU32_AND_K = 0x54;
const ALU32_RSH_K = 0x74;
const ALU32_MOV_K = 0xb4;
const JMP_JA = 0x05;
const JMP_EXIT = 0x95;
const JMP32_JNE_K = 0x56;
const JMP32_JSET_K = 0x46;

export interface EbpfInsn {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
}

const insn = (code: number, dst: number, src: number, off: number, imm: number): EbpfInsn => ({ code, dst, src, off, imm });

/** Encodes as struct bpf_insn[]: u8 code, u8 dst_reg:4 (low) | src_reg:4 (high), s16 off, s32 imm. */
export function encodeEbpf(insns: readonly EbpfInsn[]): Buffer {
  const b = Buffer.alloc(insns.length * 8);
  insns.forEach((x, i) => {
    if (x.off < -0x8000 || x.off > 0x7fff) throw new Error(`ebpf: jump offset ${x.off} out of range`);
    b.writeUInt8(x.code, i * 8);
    b.writeUInt8(((x.src & 0xf) << 4) | (x.dst & 0xf), i * 8 + 1);
    b.writeInt16LE(x.off, i * 8 + 2);
    b.writeInt32LE(x.imm | 0, i * 8 + 4);
  });
  return b;
}

/** Registers: r1 ctx, r2 type, r3 access, r4 major, r5 minor, r0 result. */
function exceptionBlock(e: DeviceException, defaultAllow: boolean): EbpfInsn[] {
  // Each test jumps to the end of the block (the next block) on a mismatch; the offsets are
  // filled in once the block's length is known.
  const tests: { code: number; dst: number; imm: number }[] = [{ code: JMP32_JNE_K, dst: 2, imm: e.type }];
  if (e.major !== WILDCARD) tests.push({ code: JMP32_JNE_K, dst: 4, imm: e.major });
  if (e.minor !== WILDCARD) tests.push({ code: JMP32_JNE_K, dst: 5, imm: e.minor });
  const tail: EbpfInsn[] = [];
  if (!defaultAllow) {
    // allow when the request holds no bit outside the exception's access
    const outside = ACC_ALL & ~e.access;
    if (outside !== 0) tests.push({ code: JMP32_JSET_K, dst: 3, imm: outside });
    tail.push(insn(ALU32_MOV_K, 0, 0, 0, 1), insn(JMP_EXIT, 0, 0, 0, 0));
  } else if ((e.access & ACC_ALL) === ACC_ALL) {
    tail.push(insn(ALU32_MOV_K, 0, 0, 0, 0), insn(JMP_EXIT, 0, 0, 0, 0));
  } else {
    // deny when the request shares a bit with the exception's access
    tail.push(insn(JMP32_JSET_K, 3, 0, 1, e.access), insn(JMP_JA, 0, 0, 2, 0), insn(ALU32_MOV_K, 0, 0, 0, 0), insn(JMP_EXIT, 0, 0, 0, 0));
  }
  const len = tests.length + tail.length;
  return [...tests.map((t, i) => insn(t.code, t.dst, 0, len - i - 1, t.imm >>> 0)), ...tail];
}

export function deviceFilterInsns(state: DeviceRuleState): EbpfInsn[] {
  const out: EbpfInsn[] = [
    insn(LDX_MEM_W, 2, 1, 0, 0), // r2 = access_type
    insn(LDX_MEM_W, 3, 1, 0, 0), // r3 = access_type
    insn(ALU32_RSH_K, 3, 0, 0, 16), // r3 = access
    insn(ALU32_AND_K, 2, 0, 0, 0xffff), // r2 = type
    insn(LDX_MEM_W, 4, 1, 4, 0), // r4 = major
    insn(LDX_MEM_W, 5, 1, 8, 0), // r5 = minor
  ];
  for (const e of state.exceptions) {
    if ((e.access & ACC_ALL) === 0) continue; // matches nothing either way
    out.push(...exceptionBlock(e, state.defaultAllow));
  }
  out.push(insn(ALU32_MOV_K, 0, 0, 0, state.defaultAllow ? 1 : 0), insn(JMP_EXIT, 0, 0, 0, 0));
  return out;
}

export interface CompiledDeviceFilter {
  /** struct bpf_insn[], little-endian, for BPF_PROG_LOAD. */
  program: Buffer;
  state: DeviceRuleState;
}

/** OCI rules (already effective: see plan/device-rules.ts) → the BPF_PROG_TYPE_CGROUP_DEVICE program. */
export function compileDeviceFilter(rules: readonly LinuxDeviceCgroup[]): CompiledDeviceFilter {
  const state = emulateDeviceRules(rules);
  return { program: encodeEbpf(deviceFilterInsns(state)), state };
}
