// Test helper (not a test file): compile, check the program's structure, run it, and compare with the reference.
import assert from 'node:assert/strict';
import { compileSeccomp } from './compile.js';
import { decode, disassemble, runFilter, validateStructure, type SeccompData } from './bpf-interpreter.js';
import { referenceEvaluate } from './reference-evaluator.js';
import type { TableArch } from './syscall-tables.js';
import type { CompiledSeccomp, SeccompSpec } from './types.js';

export const RET = {
  KILL_PROCESS: 0x80000000,
  KILL_THREAD: 0,
  TRAP: 0x00030000,
  ERRNO: (e: number): number => (0x00050000 | e) >>> 0,
  NOTIFY: 0x7fc00000,
  TRACE: (d: number): number => (0x7ff00000 | d) >>> 0,
  LOG: 0x7ffc0000,
  ALLOW: 0x7fff0000,
} as const;

export const AUDIT = { X86_64: 0xc000003e, I386: 0x40000003, AARCH64: 0xc00000b7, ARM: 0x40000028 } as const;

export function compileChecked(spec: SeccompSpec, native: TableArch = 'SCMP_ARCH_X86_64', warnings?: string[]): CompiledSeccomp {
  const out = compileSeccomp(spec, { nativeArch: native, onWarning: (m) => warnings?.push(m) });
  validateStructure(out.program);
  assert.equal(out.instructions, out.program.length / 8);
  return out;
}

/** Runs `cases` through the compiled program and the reference; reports the first few mismatches. */
export function assertMatchesReference(spec: SeccompSpec, native: TableArch, cases: Iterable<SeccompData>, compiled?: CompiledSeccomp): number {
  const c = compiled ?? compileChecked(spec, native);
  const bad: string[] = [];
  const insns = decode(c.program);
  let n = 0;
  for (const d of cases) {
    n++;
    const got = runFilter(insns, d);
    const want = referenceEvaluate(spec, native, d);
    if (got !== want && bad.length < 5) {
      bad.push(`arch 0x${(d.arch >>> 0).toString(16)} nr ${d.nr >>> 0} args [${(d.args ?? []).join(', ')}]: got 0x${got.toString(16)}, want 0x${want.toString(16)}`);
    }
  }
  if (bad.length > 0) assert.fail(`${bad.join('\n')}\n--- program ---\n${disassemble(c.program).split('\n').slice(0, 400).join('\n')}`);
  return n;
}

/** u64 values around the 32-bit word boundaries, where split comparisons go wrong. */
export const EDGE_VALUES: readonly bigint[] = [
  0n, 1n, 2n, 0x7fffffffn, 0x80000000n, 0xfffffffen, 0xffffffffn,
  0x100000000n, 0x100000001n, 0x1ffffffffn, 0x200000000n,
  0xfffffffe00000000n, 0xfffffffeffffffffn, 0xffffffff00000000n, 0xffffffff00000001n,
  0x8000000000000000n, 0xfffffffffffffffen, 0xffffffffffffffffn,
];
