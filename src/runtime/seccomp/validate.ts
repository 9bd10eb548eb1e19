// Checks an untrusted linux.seccomp section and turns it into the compiler's normalized form:
// actions as SECCOMP_RET_* values, comparison values as u64 bigints, architectures and flags known.
import { BerthError } from '../../errors.js';
import {
  EPERM,
  SECCOMP_FILTER_FLAG_LOG,
  SECCOMP_FILTER_FLAG_SPEC_ALLOW,
  SECCOMP_FILTER_FLAG_TSYNC,
  SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
  SECCOMP_RET_ALLOW,
  SECCOMP_RET_ERRNO,
  SECCOMP_RET_KILL_PROCESS,
  SECCOMP_RET_KILL_THREAD,
  SECCOMP_RET_LOG,
  SECCOMP_RET_TRACE,
  SECCOMP_RET_TRAP,
  SECCOMP_RET_USER_NOTIF,
} from './constants.js';
import type { SeccompOperator } from './types.js';

export interface Cond {
  index: number;
  op: SeccompOperator;
  value: bigint;
  valueTwo: bigint;
}

export interface Rule {
  /** Position in spec.syscalls, for messages. */
  source: number;
  names: string[];
  action: number;
  conds: Cond[];
}

export interface NormalizedSpec {
  defaultAction: number;
  /** The spec's action name: runc decides the -ENOSYS stub by name, not by value. */
  defaultActionName: string;
  rules: Rule[];
  architectures: string[];
  flags: number;
  usesNotify: boolean;
  listenerPath?: string;
}

const U64_MAX = (1n << 64n) - 1n;

export const OPERATORS: ReadonlySet<string> = new Set<SeccompOperator>([
  'SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ',
]);

const FLAGS: Readonly<Record<string, number>> = {
  SECCOMP_FILTER_FLAG_TSYNC: SECCOMP_FILTER_FLAG_TSYNC,
  SECCOMP_FILTER_FLAG_LOG: SECCOMP_FILTER_FLAG_LOG,
  SECCOMP_FILTER_FLAG_SPEC_ALLOW: SECCOMP_FILTER_FLAG_SPEC_ALLOW,
  SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
};

function fail(where: string, msg: string): never {
  throw new BerthError('BERTH_ESECCOMP', `seccomp: ${where}: ${msg}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * SECCOMP_RET_* for an OCI action. Like runc: SCMP_ACT_KILL is KILL_THREAD, and ERRNO and TRACE
 * without errnoRet carry EPERM.
 */
export function actionValue(where: string, action: unknown, errnoRet: unknown): number {
  let data = EPERM;
  if (errnoRet !== undefined && errnoRet !== null) {
    if (typeof errnoRet !== 'number' || !Number.isInteger(errnoRet) || errnoRet < 0 || errnoRet > 0xffff) {
      fail(where, `errnoRet ${JSON.stringify(errnoRet)} is not an integer in 0..65535`);
    }
    data = errnoRet;
  }
  switch (action) {
    case 'SCMP_ACT_KILL':
    case 'SCMP_ACT_KILL_THREAD': return SECCOMP_RET_KILL_THREAD;
    case 'SCMP_ACT_KILL_PROCESS': return SECCOMP_RET_KILL_PROCESS;
    case 'SCMP_ACT_TRAP': return SECCOMP_RET_TRAP;
    case 'SCMP_ACT_ERRNO': return (SECCOMP_RET_ERRNO | data) >>> 0;
    case 'SCMP_ACT_TRACE': return (SECCOMP_RET_TRACE | data) >>> 0;
    case 'SCMP_ACT_ALLOW': return SECCOMP_RET_ALLOW;
    case 'SCMP_ACT_LOG': return SECCOMP_RET_LOG;
    case 'SCMP_ACT_NOTIFY': return SECCOMP_RET_USER_NOTIF;
    default: return fail(where, `unknown action ${JSON.stringify(action)}`);
  }
}

/** A u64 from JSON: a number (exact only to 2^53), a bigint, or a decimal/0x string. */
function u64(where: string, v: unknown, warn: (msg: string) => void): bigint {
  if (typeof v === 'bigint') {
    if (v < 0n || v > U64_MAX) fail(where, `${v} is out of the u64 range`);
    return v;
  }
  if (typeof v === 'string' && /^(0x[0-9a-f]+|\d+)$/i.test(v.trim())) {
    const b = BigInt(v.trim());
    if (b > U64_MAX) fail(where, `${v} is out of the u64 range`);
    return b;
  }
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) {
    // JSON.parse turns 18446744073709551615 into exactly 2^64: that is what such a profile meant.
    if (v === 2 ** 64) {
      warn(`seccomp: ${where}: ${v} rounded by JSON, taken as 2^64-1`);
      return U64_MAX;
    }
    if (v > 2 ** 64) fail(where, `${v} is out of the u64 range`);
    return BigInt(v);
  }
  return fail(where, `${JSON.stringify(v)} is not an unsigned 64-bit integer`);
}

export function normalizeSpec(section: unknown, warn: (msg: string) => void): NormalizedSpec {
  if (!isObject(section)) fail('linux.seccomp', 'not an object');
  const defaultAction = actionValue('defaultAction', section.defaultAction, section.defaultErrnoRet);
  if (defaultAction === SECCOMP_RET_USER_NOTIF) fail('defaultAction', 'SCMP_ACT_NOTIFY cannot be the default action');

  let flags = 0;
  if (section.flags !== undefined && section.flags !== null) {
    if (!Array.isArray(section.flags)) fail('flags', 'not an array');
    for (const [i, f] of section.flags.entries()) {
      const bit = typeof f === 'string' ? FLAGS[f] : undefined;
      if (bit === undefined) fail(`flags[${i}]`, `unknown flag ${JSON.stringify(f)}`);
      flags |= bit;
    }
  }

  const architectures: string[] = [];
  if (section.architectures !== undefined && section.architectures !== null) {
    if (!Array.isArray(section.architectures)) fail('architectures', 'not an array');
    for (const [i, a] of section.architectures.entries()) {
      if (typeof a !== 'string' || !a.startsWith('SCMP_ARCH_')) fail(`architectures[${i}]`, `unknown architecture ${JSON.stringify(a)}`);
      if (!architectures.includes(a)) architectures.push(a);
    }
  }

  let listenerPath: string | undefined;
  if (section.listenerPath !== undefined && section.listenerPath !== null && section.listenerPath !== '') {
    if (typeof section.listenerPath !== 'string') fail('listenerPath', 'not a string');
    listenerPath = section.listenerPath;
  }

  const rules: Rule[] = [];
  let usesNotify = false;
  const syscalls = section.syscalls ?? [];
  if (!Array.isArray(syscalls)) fail('syscalls', 'not an array');
  for (const [i, s] of syscalls.entries()) {
    const where = `syscalls[${i}]`;
    if (!isObject(s)) fail(where, 'not an object');
    if (!Array.isArray(s.names) || s.names.length === 0) fail(where, 'names is empty');
    for (const n of s.names) {
      if (typeof n !== 'string' || n === '') fail(where, `invalid syscall name ${JSON.stringify(n)}`);
    }
    const names = s.names as string[];
    const action = actionValue(where, s.action, s.errnoRet);
    if (action === SECCOMP_RET_USER_NOTIF) {
      usesNotify = true;
      if (listenerPath === undefined) fail(where, 'SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath');
      // The runtime reports the listener fd to its parent with write(2) after loading the filter.
      if (names.includes('write')) fail(where, 'SCMP_ACT_NOTIFY cannot be used for the write syscall');
    }
    const conds: Cond[] = [];
    const args = s.args ?? [];
    if (!Array.isArray(args)) fail(where, 'args is not an array');
    for (const [j, a] of args.entries()) {
      const aw = `${where}.args[${j}]`;
      if (!isObject(a)) fail(aw, 'not an object');
      if (typeof a.op !== 'string' || !OPERATORS.has(a.op)) fail(where, `unknown op ${JSON.stringify(a.op)}`);
      if (typeof a.index !== 'number' || !Number.isInteger(a.index) || a.index < 0 || a.index > 5) {
        fail(aw, `index ${JSON.stringify(a.index)} is not in 0..5`);
      }
      const value = u64(`${aw}.value`, a.value, warn);
      const valueTwo = a.valueTwo === undefined || a.valueTwo === null ? 0n : u64(`${aw}.valueTwo`, a.valueTwo, warn);
      conds.push({ index: a.index, op: a.op as SeccompOperator, value, valueTwo });
    }
    rules.push({ source: i, names, action, conds });
  }

  return {
    defaultAction,
    defaultActionName: section.defaultAction as string,
    rules,
    architectures,
    flags,
    usesNotify,
    ...(listenerPath !== undefined ? { listenerPath } : {}),
  };
}
