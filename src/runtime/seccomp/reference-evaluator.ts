// Test helper: what a seccomp profile should return for one syscall, computed directly from the
// spec with bigints and a linear scan: slow, obvious, and sharing no code with the compiler's
// interval search or its comparisons. Tests run compiled programs against it.
import {
  AUDIT_ARCH_AARCH64,
  AUDIT_ARCH_ARM,
  AUDIT_ARCH_I386,
  AUDIT_ARCH_X86_64,
  ENOSYS,
  SECCOMP_RET_ERRNO,
  SECCOMP_RET_KILL_THREAD,
} from './constants.js';
import { SYSCALL_TABLES, type TableArch } from './syscall-tables.js';
import type { SeccompData } from './bpf-interpreter.js';
import type { SeccompSpec } from './types.js';
import { normalizeSpec, type Cond } from './validate.js';

const X32_BIT = 0x40000000;
const THIRTY_TWO_BIT = new Set<TableArch>(['SCMP_ARCH_X86', 'SCMP_ARCH_ARM', 'SCMP_ARCH_X32']);

function holds(c: Cond, arg: bigint, abi: TableArch): boolean {
  const mask = THIRTY_TWO_BIT.has(abi) ? 0xffffffffn : (1n << 64n) - 1n;
  const a = arg & mask;
  const v = c.value & mask;
  switch (c.op) {
    case 'SCMP_CMP_EQ': return a === v;
    case 'SCMP_CMP_NE': return a !== v;
    case 'SCMP_CMP_LT': return a < v;
    case 'SCMP_CMP_LE': return a <= v;
    case 'SCMP_CMP_GT': return a > v;
    case 'SCMP_CMP_GE': return a >= v;
    case 'SCMP_CMP_MASKED_EQ': return (a & v) === (c.valueTwo & mask & v);
    default: throw new Error(`op ${String(c.op)}`);
  }
}

const normalized = new WeakMap<SeccompSpec, ReturnType<typeof normalizeSpec>>();

export function referenceEvaluate(section: SeccompSpec, nativeArch: TableArch, d: SeccompData): number {
  let spec = normalized.get(section);
  if (spec === undefined) normalized.set(section, (spec = normalizeSpec(section, () => {})));
  const arches = new Set<string>([nativeArch, ...spec.architectures]);
  const nr = d.nr >>> 0;
  let abi: TableArch | undefined;
  switch (d.arch >>> 0) {
    case AUDIT_ARCH_X86_64:
      // Like libseccomp, everything from the x32 bit up is x32's (0x80000000 too).
      if (nr >= X32_BIT) {
        if (arches.has('SCMP_ARCH_X32')) abi = 'SCMP_ARCH_X32';
        else if (nr === 0xffffffff && arches.has('SCMP_ARCH_X86_64')) return spec.defaultAction;
      } else if (arches.has('SCMP_ARCH_X86_64')) abi = 'SCMP_ARCH_X86_64';
      break;
    case AUDIT_ARCH_I386: if (arches.has('SCMP_ARCH_X86')) abi = 'SCMP_ARCH_X86'; break;
    case AUDIT_ARCH_AARCH64: if (arches.has('SCMP_ARCH_AARCH64')) abi = 'SCMP_ARCH_AARCH64'; break;
    case AUDIT_ARCH_ARM: if (arches.has('SCMP_ARCH_ARM')) abi = 'SCMP_ARCH_ARM'; break;
  }
  if (abi === undefined) return SECCOMP_RET_KILL_THREAD;

  const table: Readonly<Record<string, number>> = SYSCALL_TABLES[abi];
  const numberOf = (name: string): number | undefined => (Object.hasOwn(table, name) ? table[name] : undefined);
  let maxNr = -1;
  for (const rule of spec.rules) {
    for (const name of rule.names) maxNr = Math.max(maxNr, numberOf(name) ?? -1);
  }
  for (const rule of spec.rules) {
    if (!rule.names.some((n) => numberOf(n) === nr)) continue;
    if (rule.conds.every((c) => holds(c, d.args?.[c.index] ?? 0n, abi!))) return rule.action;
  }
  const stub = !['SCMP_ACT_ALLOW', 'SCMP_ACT_LOG', 'SCMP_ACT_TRACE'].includes(spec.defaultActionName);
  if (stub && maxNr >= 0 && nr > maxNr) return (SECCOMP_RET_ERRNO | ENOSYS) >>> 0;
  return spec.defaultAction;
}
