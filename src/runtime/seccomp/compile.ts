// Compiles an OCI linux.seccomp section to a classic-BPF seccomp filter, in TypeScript, so the C
// helper only has to load bytes. The filter behaves like the one runc builds with libseccomp:
//
// - The host's own arch is always filtered, listed or not (libseccomp's seccomp_init adds it).
//   Any other arch gets KILL_THREAD, libseccomp's default bad-arch action, which runc keeps.
// - x32 shares AUDIT_ARCH_X86_64 and is told apart by __X32_SYSCALL_BIT. When x32 is not listed,
//   x86_64 numbers with that bit are bad-arch too, except nr -1 (0xffffffff), which libseccomp lets
//   through to the normal rules because tracers use it to skip a syscall.
// - A name unknown on an arch is skipped for that arch (runc logs it at debug level). Only names
//   that no arch berth knows has are warned about, once: those are typos or newer than our tables;
//   the rest are ordinary (chown32 exists on 32-bit ABIs only) and would warn on every start.
// - Unless the default action is ALLOW, LOG or TRACE, numbers above the highest syscall the profile
//   names get ERRNO(ENOSYS) instead of the default: runc's "-ENOSYS stub", so that newer syscalls
//   look absent and libc falls back to older ones instead of failing with EPERM.
// - SCMP_ACT_KILL is KILL_THREAD; ERRNO and TRACE without errnoRet carry EPERM (runc).
// - On 32-bit ABIs (x86, arm, x32) only the low 32 bits of an argument are compared (libseccomp).
// - MASKED_EQ is (arg & value) == (valueTwo & value), as libseccomp compares.
//
// Where berth differs from runc on purpose:
// - Rules for one syscall are tried in spec order and the first match wins. Conditions of one rule
//   are ANDed even when two test the same argument (runc splits those into separate, ORed rules).
//   runc drops rules whose action equals the default; berth keeps them when a later rule for the
//   same syscall could otherwise match, because in order they mean something.
// - x86 socketcall/ipc multiplexing is not expanded: `socket` on x86 filters only the direct call.
// - SCMP_ACT_NOTIFY compiles (flags get SECCOMP_FILTER_FLAG_NEW_LISTENER and listenerPath is
//   returned) but needs the fd passing that the launcher does not implement yet; it must refuse
//   such a result until then.
import { BerthError } from '../../errors.js';
import { Assembler } from './assembler.js';
import { ArchEmitter, mergeSegments, simplifyCond, type ArgRule, type Outcome, type Segment } from './codegen.js';
import {
  AUDIT_ARCH_AARCH64,
  AUDIT_ARCH_ARM,
  AUDIT_ARCH_I386,
  AUDIT_ARCH_X86_64,
  BPF_JMP_JEQ_K,
  BPF_MAXINSNS,
  ENOSYS,
  SECCOMP_DATA_ARCH,
  SECCOMP_DATA_NR,
  SECCOMP_FILTER_FLAG_NEW_LISTENER,
  SECCOMP_FILTER_FLAG_TSYNC,
  SECCOMP_FILTER_FLAG_TSYNC_ESRCH,
  SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
  SECCOMP_RET_ERRNO,
  SECCOMP_RET_KILL_THREAD,
  X32_SYSCALL_BIT,
} from './constants.js';
import { SYSCALL_TABLES, type TableArch } from './syscall-tables.js';
import type { CompileOptions, CompiledSeccomp, SeccompSpec } from './types.js';
import { normalizeSpec, type Rule } from './validate.js';

export interface ArchInfo {
  audit: number;
  bits: 32 | 64;
  /** The part of the u32 syscall-number space this ABI owns under its AUDIT_ARCH. */
  lo: number;
  hi: number;
}

export const ARCH_INFO: Readonly<Record<TableArch, ArchInfo>> = {
  SCMP_ARCH_X86_64: { audit: AUDIT_ARCH_X86_64, bits: 64, lo: 0, hi: X32_SYSCALL_BIT - 1 },
  SCMP_ARCH_X32: { audit: AUDIT_ARCH_X86_64, bits: 32, lo: X32_SYSCALL_BIT, hi: 0xffffffff },
  SCMP_ARCH_X86: { audit: AUDIT_ARCH_I386, bits: 32, lo: 0, hi: 0xffffffff },
  SCMP_ARCH_AARCH64: { audit: AUDIT_ARCH_AARCH64, bits: 64, lo: 0, hi: 0xffffffff },
  SCMP_ARCH_ARM: { audit: AUDIT_ARCH_ARM, bits: 32, lo: 0, hi: 0xffffffff },
};

/** The arch libseccomp would call native, from a node arch or an SCMP_ARCH_ name. */
export function nativeScmpArch(arch: string = process.arch): TableArch | undefined {
  const byNode: Record<string, TableArch> = { x64: 'SCMP_ARCH_X86_64', arm64: 'SCMP_ARCH_AARCH64', ia32: 'SCMP_ARCH_X86', arm: 'SCMP_ARCH_ARM' };
  if (arch in ARCH_INFO) return arch as TableArch;
  return Object.hasOwn(byNode, arch) ? byNode[arch] : undefined;
}

const tableMaps = new Map<TableArch, Map<string, number>>();
export function syscallTable(arch: TableArch): Map<string, number> {
  let m = tableMaps.get(arch);
  if (m === undefined) {
    m = new Map(Object.entries(SYSCALL_TABLES[arch]));
    tableMaps.set(arch, m);
  }
  return m;
}

const ALL_TABLE_ARCHES = Object.keys(ARCH_INFO) as TableArch[];
const BAD_ARCH_ACTION = SECCOMP_RET_KILL_THREAD;
const ALLOW_LIKE = new Set(['SCMP_ACT_ALLOW', 'SCMP_ACT_LOG', 'SCMP_ACT_TRACE']);

export function compileSeccomp(section: SeccompSpec, opts: CompileOptions = {}): CompiledSeccomp {
  const warn = opts.onWarning ?? (() => {});
  const spec = normalizeSpec(section, warn);
  const native = nativeScmpArch(opts.nativeArch);
  if (native === undefined) {
    throw new BerthError('BERTH_ESECCOMP', `seccomp: native architecture ${opts.nativeArch ?? process.arch} is not supported`);
  }

  const arches: TableArch[] = [native];
  for (const a of spec.architectures) {
    if (!(a in ARCH_INFO)) {
      warn(`seccomp: architecture ${a} is not supported by berth and is left out of the filter`);
      continue;
    }
    if (!arches.includes(a as TableArch)) arches.push(a as TableArch);
  }

  let flags = spec.flags;
  if (spec.usesNotify) {
    flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
    // The kernel refuses TSYNC with NEW_LISTENER unless a failed sync may report ESRCH instead.
    if (flags & SECCOMP_FILTER_FLAG_TSYNC) flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
  } else if (flags & SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV) {
    warn('seccomp: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV ignored: no rule uses SCMP_ACT_NOTIFY');
    flags &= ~SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
  }

  const enosysStub = !ALLOW_LIKE.has(spec.defaultActionName);
  const asm = new Assembler();
  // Group ABIs by the AUDIT_ARCH the kernel reports, the host's first: its branch is the hot one.
  const groups = new Map<number, TableArch[]>();
  for (const a of arches) {
    const audit = ARCH_INFO[a].audit;
    groups.set(audit, [...(groups.get(audit) ?? []), a]);
  }

  const unknown = new Set<string>();
  asm.ld(SECCOMP_DATA_ARCH);
  const groupLabels = [...groups.keys()].map(() => asm.label());
  [...groups.keys()].forEach((audit, i) => {
    const last = i === groups.size - 1;
    const next = last ? { ret: BAD_ARCH_ACTION } : { label: asm.label() };
    asm.jmp(BPF_JMP_JEQ_K, audit, { label: groupLabels[i]! }, next);
    if (!last) asm.bind((next as { label: number }).label);
  });
  [...groups.values()].forEach((members, i) => {
    asm.bind(groupLabels[i]!);
    asm.ld(SECCOMP_DATA_NR);
    const segs = groupSegments(members, spec.rules, spec.defaultAction, enosysStub, unknown);
    new ArchEmitter(asm, spec.defaultAction).emitSearch(segs);
  });

  const nowhere = [...unknown].filter((n) => !ALL_TABLE_ARCHES.some((a) => syscallTable(a).has(n)));
  if (nowhere.length > 0) warn(`seccomp: unknown syscall name(s) skipped: ${nowhere.join(', ')}`);

  const program = asm.assemble();
  const instructions = program.length / 8;
  if (instructions > BPF_MAXINSNS) {
    throw new BerthError('BERTH_ESECCOMP', `seccomp: the filter needs ${instructions} BPF instructions, over the kernel's limit of ${BPF_MAXINSNS}`);
  }
  return {
    program,
    flags,
    instructions,
    ...(spec.usesNotify && spec.listenerPath !== undefined ? { listenerPath: spec.listenerPath } : {}),
  };
}

/** Intervals covering all of u32 for one AUDIT_ARCH; x86_64 and x32 split it by the x32 bit. */
function groupSegments(members: TableArch[], rules: Rule[], defaultRet: number, enosysStub: boolean, unknown: Set<string>): Segment[] {
  const segs: Segment[] = [];
  const sorted = [...members].sort((a, b) => ARCH_INFO[a].lo - ARCH_INFO[b].lo);
  let cur = 0;
  for (const a of sorted) {
    const info = ARCH_INFO[a];
    if (cur < info.lo) segs.push({ start: cur, end: info.lo - 1, outcome: { ret: BAD_ARCH_ACTION } });
    segs.push(...archSegments(a, rules, defaultRet, enosysStub, unknown));
    cur = info.hi + 1;
  }
  if (cur <= 0xffffffff) {
    // Only x86_64 without x32 leaves a tail; libseccomp lets nr -1 through to the default.
    if (cur < 0xffffffff) segs.push({ start: cur, end: 0xfffffffe, outcome: { ret: BAD_ARCH_ACTION } });
    segs.push({ start: 0xffffffff, end: 0xffffffff, outcome: { ret: defaultRet } });
  }
  return mergeSegments(segs, outcomeKey);
}

function outcomeKey(o: Outcome): string {
  return 'ret' in o ? `r${o.ret}` : `c${JSON.stringify(o.chain, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`;
}

function archSegments(arch: TableArch, rules: Rule[], defaultRet: number, enosysStub: boolean, unknown: Set<string>): Segment[] {
  const info = ARCH_INFO[arch];
  const table = syscallTable(arch);
  const byNr = new Map<number, ArgRule[]>();
  /** Syscalls whose fate is sealed by an earlier rule without conditions. */
  const sealed = new Set<number>();
  let maxNr = -1;
  for (const rule of rules) {
    for (const name of rule.names) {
      const nr = table.get(name);
      if (nr === undefined) {
        unknown.add(name);
        continue;
      }
      if (nr > maxNr) maxNr = nr;
      if (sealed.has(nr)) continue;
      const conds = [];
      let dead = false;
      for (const c of rule.conds) {
        const s = simplifyCond(c, info.bits);
        if (s === false) dead = true;
        else if (s !== true) conds.push(s);
      }
      if (dead) continue;
      let list = byNr.get(nr);
      if (list === undefined) byNr.set(nr, (list = []));
      list.push({ action: rule.action, conds });
      if (conds.length === 0) sealed.add(nr);
    }
  }

  const nrs = [...byNr.keys()].sort((a, b) => a - b);
  const segs: Segment[] = [];
  let cur = info.lo;
  for (const nr of nrs) {
    if (nr > cur) segs.push({ start: cur, end: nr - 1, outcome: { ret: defaultRet } });
    segs.push({ start: nr, end: nr, outcome: outcomeOf(byNr.get(nr)!, defaultRet, info.bits) });
    cur = nr + 1;
  }
  if (cur <= info.hi) {
    const stub = enosysStub && maxNr >= 0;
    if (stub && cur <= maxNr) segs.push({ start: cur, end: maxNr, outcome: { ret: defaultRet } });
    const from = stub ? Math.max(cur, maxNr + 1) : cur;
    if (from <= info.hi) {
      segs.push({ start: from, end: info.hi, outcome: { ret: stub ? (SECCOMP_RET_ERRNO | ENOSYS) >>> 0 : defaultRet } });
    }
  }
  return segs;
}

function outcomeOf(list: ArgRule[], defaultRet: number, bits: 32 | 64): Outcome {
  // Rules at the end that only restate the default change nothing.
  while (list.length > 0 && list[list.length - 1]!.action === defaultRet) list.pop();
  if (list.length === 0) return { ret: defaultRet };
  if (list.length === 1 && list[0]!.conds.length === 0) return { ret: list[0]!.action };
  return { chain: list, bits };
}
