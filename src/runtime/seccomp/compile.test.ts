import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isBerthError } from '../../errors.js';
import { runFilter, type SeccompData } from './bpf-interpreter.js';
import { compileSeccomp } from './compile.js';
import { SYSCALL_TABLES } from './syscall-tables.js';
import { AUDIT, EDGE_VALUES, RET, assertMatchesReference, compileChecked } from './checks.js';
import type { SeccompAction, SeccompOperator, SeccompSpec } from './types.js';

const X64 = SYSCALL_TABLES.SCMP_ARCH_X86_64;
const getpid = X64.getpid!;
const x86 = (nr: number, ...args: bigint[]): SeccompData => ({ nr, arch: AUDIT.X86_64, args });

function run(spec: SeccompSpec, d: SeccompData): number {
  return runFilter(compileChecked(spec).program, d);
}

function expectError(spec: unknown, pattern: RegExp | string): void {
  assert.throws(
    () => compileSeccomp(spec as SeccompSpec, { nativeArch: 'SCMP_ARCH_X86_64' }),
    (e: unknown) => {
      assert.ok(isBerthError(e, 'BERTH_ESECCOMP'), `not a BERTH_ESECCOMP error: ${String(e)}`);
      if (typeof pattern === 'string') assert.equal(e.message, pattern);
      else assert.match(e.message, pattern);
      return true;
    },
  );
}

describe('compileSeccomp: actions', () => {
  const cases: [SeccompAction, number | undefined, number][] = [
    ['SCMP_ACT_KILL', undefined, RET.KILL_THREAD],
    ['SCMP_ACT_KILL_THREAD', undefined, RET.KILL_THREAD],
    ['SCMP_ACT_KILL_PROCESS', undefined, RET.KILL_PROCESS],
    ['SCMP_ACT_TRAP', undefined, RET.TRAP],
    ['SCMP_ACT_ERRNO', 13, RET.ERRNO(13)],
    ['SCMP_ACT_ERRNO', undefined, RET.ERRNO(1)],
    ['SCMP_ACT_ERRNO', 0, RET.ERRNO(0)],
    ['SCMP_ACT_TRACE', 7, RET.TRACE(7)],
    ['SCMP_ACT_TRACE', undefined, RET.TRACE(1)],
    ['SCMP_ACT_LOG', undefined, RET.LOG],
  ];
  for (const [action, errnoRet, want] of cases) {
    it(`${action}${errnoRet === undefined ? '' : `(${errnoRet})`} returns 0x${want.toString(16)}`, () => {
      const spec: SeccompSpec = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['getpid'], action, ...(errnoRet === undefined ? {} : { errnoRet }) }] };
      assert.equal(run(spec, x86(getpid)), want);
      assert.equal(run(spec, x86(X64.getppid!)), RET.ALLOW);
    });
  }

  it('SCMP_ACT_ALLOW under a deny default', () => {
    const spec: SeccompSpec = { defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 95, syscalls: [{ names: ['getpid'], action: 'SCMP_ACT_ALLOW' }] };
    assert.equal(run(spec, x86(getpid)), RET.ALLOW);
    assert.equal(run(spec, x86(X64.close!)), RET.ERRNO(95));
  });

  it('default actions: ERRNO without defaultErrnoRet is EPERM, KILL_PROCESS, TRAP', () => {
    // (a rule on getppid, above getpid, keeps getpid out of the -ENOSYS range)
    assert.equal(run({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['getppid'], action: 'SCMP_ACT_ALLOW' }] }, x86(getpid)), RET.ERRNO(1));
    assert.equal(run({ defaultAction: 'SCMP_ACT_KILL_PROCESS', syscalls: [{ names: ['getppid'], action: 'SCMP_ACT_ALLOW' }] }, x86(getpid)), RET.KILL_PROCESS);
    assert.equal(run({ defaultAction: 'SCMP_ACT_TRAP' }, x86(getpid)), RET.TRAP);
    assert.equal(run({ defaultAction: 'SCMP_ACT_ALLOW' }, x86(getpid)), RET.ALLOW);
  });

  it('SCMP_ACT_NOTIFY compiles with NEW_LISTENER and returns the listener path', () => {
    const spec: SeccompSpec = {
      defaultAction: 'SCMP_ACT_ALLOW',
      listenerPath: '/run/agent.sock',
      flags: ['SECCOMP_FILTER_FLAG_TSYNC'],
      syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }],
    };
    const out = compileChecked(spec);
    assert.equal(out.listenerPath, '/run/agent.sock');
    // TSYNC with NEW_LISTENER needs TSYNC_ESRCH, or the kernel says EINVAL.
    assert.equal(out.flags, 1 | 8 | 16);
    assert.equal(runFilter(out.program, x86(X64.mkdir!)), RET.NOTIFY);
    assert.equal(compileChecked({ defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/x' }).listenerPath, undefined);
  });
});

describe('compileSeccomp: flags', () => {
  it('maps each flag to its SECCOMP_FILTER_FLAG_ bit', () => {
    const f = (flags: string[]): number => compileChecked({ defaultAction: 'SCMP_ACT_ALLOW', flags }).flags;
    assert.equal(f([]), 0);
    assert.equal(f(['SECCOMP_FILTER_FLAG_TSYNC']), 1);
    assert.equal(f(['SECCOMP_FILTER_FLAG_LOG']), 2);
    assert.equal(f(['SECCOMP_FILTER_FLAG_SPEC_ALLOW']), 4);
    assert.equal(f(['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW']), 6);
  });

  it('WAIT_KILLABLE_RECV is kept with a NOTIFY rule and dropped, with a warning, without one', () => {
    const warnings: string[] = [];
    const without = compileChecked({ defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'] }, 'SCMP_ARCH_X86_64', warnings);
    assert.equal(without.flags, 0);
    assert.match(warnings.join('\n'), /WAIT_KILLABLE_RECV/);
    const withNotify = compileChecked({
      defaultAction: 'SCMP_ACT_ALLOW',
      listenerPath: '/a',
      flags: ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'],
      syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }],
    });
    assert.equal(withNotify.flags, 32 | 8);
  });
});

describe('compileSeccomp: architectures', () => {
  const spec: SeccompSpec = {
    defaultAction: 'SCMP_ACT_ERRNO',
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
    syscalls: [{ names: ['getpid'], action: 'SCMP_ACT_ALLOW' }],
  };

  it('checks the arch first and encodes little-endian sock_filter', () => {
    const p = compileChecked(spec).program;
    assert.deepEqual([...p.subarray(0, 8)], [0x20, 0, 0, 0, 4, 0, 0, 0]); // ld [4]: seccomp_data.arch
  });

  it('uses each arch its own numbers', () => {
    assert.equal(run(spec, x86(getpid)), RET.ALLOW);
    assert.equal(run(spec, { nr: SYSCALL_TABLES.SCMP_ARCH_X86.getpid!, arch: AUDIT.I386 }), RET.ALLOW);
    assert.equal(run(spec, { nr: SYSCALL_TABLES.SCMP_ARCH_X32.getpid!, arch: AUDIT.X86_64 }), RET.ALLOW);
    assert.equal(run(spec, { nr: SYSCALL_TABLES.SCMP_ARCH_X86.getpid!, arch: AUDIT.X86_64 }), RET.ERRNO(1));
  });

  it('kills a thread of an arch that is not filtered (libseccomp bad-arch action)', () => {
    assert.equal(run(spec, { nr: 172, arch: AUDIT.AARCH64 }), RET.KILL_THREAD);
    assert.equal(run(spec, { nr: 20, arch: AUDIT.ARM }), RET.KILL_THREAD);
    assert.equal(run(spec, { nr: 0, arch: 0 }), RET.KILL_THREAD);
  });

  it('always filters the native arch, listed or not', () => {
    const only32: SeccompSpec = { ...spec, architectures: ['SCMP_ARCH_X86'] };
    assert.equal(run(only32, x86(getpid)), RET.ALLOW);
    assert.equal(run(only32, { nr: 20, arch: AUDIT.I386 }), RET.ALLOW);
    const bare: SeccompSpec = { ...spec, architectures: [] };
    assert.equal(run(bare, { nr: 20, arch: AUDIT.I386 }), RET.KILL_THREAD);
  });

  it('tells x32 from x86_64 by __X32_SYSCALL_BIT', () => {
    const x32Only: SeccompSpec = { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X32'], syscalls: [{ names: ['getpid'], action: 'SCMP_ACT_ERRNO', errnoRet: 5 }] };
    assert.equal(run(x32Only, x86(getpid)), RET.ERRNO(5)); // native x86_64 rule
    assert.equal(run(x32Only, x86(0x40000000 + getpid)), RET.ERRNO(5)); // x32 rule
    assert.equal(run(x32Only, x86(0x40000000 + 200)), RET.ALLOW);
  });

  it('without x32, x32 numbers are bad-arch except nr -1, which gets the default', () => {
    const noX32: SeccompSpec = { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['getpid'], action: 'SCMP_ACT_ALLOW' }] };
    assert.equal(run(noX32, x86(0x40000000 + getpid)), RET.KILL_THREAD);
    assert.equal(run(noX32, x86(0x80000000)), RET.KILL_THREAD);
    assert.equal(run(noX32, x86(0xffffffff)), RET.ERRNO(1));
  });

  it('compiles for an aarch64 host with arm as compat', () => {
    const arm: SeccompSpec = { defaultAction: 'SCMP_ACT_ERRNO', architectures: ['SCMP_ARCH_ARM'], syscalls: [{ names: ['getpid', 'set_tls', 'open'], action: 'SCMP_ACT_ALLOW' }] };
    const out = compileChecked(arm, 'SCMP_ARCH_AARCH64');
    assert.equal(runFilter(out.program, { nr: 172, arch: AUDIT.AARCH64 }), RET.ALLOW);
    assert.equal(runFilter(out.program, { nr: 20, arch: AUDIT.ARM }), RET.ALLOW);
    assert.equal(runFilter(out.program, { nr: 5, arch: AUDIT.ARM }), RET.ALLOW); // open exists on arm only
    assert.equal(runFilter(out.program, { nr: 0x0f0005, arch: AUDIT.ARM }), RET.ALLOW); // set_tls
    assert.equal(runFilter(out.program, { nr: 0x0f0006, arch: AUDIT.ARM }), RET.ERRNO(38)); // above the highest: -ENOSYS
    assert.equal(runFilter(out.program, { nr: 39, arch: AUDIT.X86_64 }), RET.KILL_THREAD);
  });

  it('warns about and leaves out arches berth has no table for', () => {
    const warnings: string[] = [];
    compileChecked({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_PPC64LE'] }, 'SCMP_ARCH_X86_64', warnings);
    assert.match(warnings.join('\n'), /SCMP_ARCH_PPC64LE/);
  });
});

describe('compileSeccomp: argument comparisons', () => {
  const ops: SeccompOperator[] = ['SCMP_CMP_EQ', 'SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_GT', 'SCMP_CMP_GE', 'SCMP_CMP_MASKED_EQ'];
  for (const op of ops) {
    it(`${op} on 64-bit and 32-bit ABIs at word boundaries`, () => {
      for (const value of EDGE_VALUES) {
        const spec: SeccompSpec = {
          defaultAction: 'SCMP_ACT_ALLOW',
          architectures: ['SCMP_ARCH_X86'],
          syscalls: [{ names: ['getpid'], action: 'SCMP_ACT_ERRNO', errnoRet: 9, args: [{ index: 2, value, valueTwo: value & 0xf0000000fn, op }] }],
        };
        const cases: SeccompData[] = [];
        for (const arg of EDGE_VALUES) {
          const args = [0n, 0n, arg];
          cases.push(x86(getpid, ...args), { nr: 20, arch: AUDIT.I386, args });
        }
        assertMatchesReference(spec, 'SCMP_ARCH_X86_64', cases);
      }
    });
  }

  it('compares exactly: EQ 2^32 does not match 0, GT 0xffffffff matches 2^32', () => {
    const eq: SeccompSpec = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['getpid'], action: 'SCMP_ACT_TRAP', args: [{ index: 0, value: 2 ** 32, op: 'SCMP_CMP_EQ' }] }] };
    assert.equal(run(eq, x86(getpid, 0n)), RET.ALLOW);
    assert.equal(run(eq, x86(getpid, 1n << 32n)), RET.TRAP);
    const gt: SeccompSpec = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['getpid'], action: 'SCMP_ACT_TRAP', args: [{ index: 5, value: 0xffffffff, op: 'SCMP_CMP_GT' }] }] };
    assert.equal(run(gt, x86(getpid, 0n, 0n, 0n, 0n, 0n, 1n << 32n)), RET.TRAP);
    assert.equal(run(gt, x86(getpid, 0n, 0n, 0n, 0n, 0n, 0xffffffffn)), RET.ALLOW);
  });

  it('MASKED_EQ: value is the mask, valueTwo the datum (compared under the mask)', () => {
    const spec: SeccompSpec = {
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{ names: ['getpid'], action: 'SCMP_ACT_TRAP', args: [{ index: 1, value: '0xff000000ff', valueTwo: '0x12000000ff', op: 'SCMP_CMP_MASKED_EQ' }] }],
    };
    assert.equal(run(spec, x86(getpid, 0n, 0x12000000ffn)), RET.TRAP);
    assert.equal(run(spec, x86(getpid, 0n, 0xab12abcdefffn)), RET.TRAP);
    assert.equal(run(spec, x86(getpid, 0n, 0x13000000ffn)), RET.ALLOW);
    assert.equal(run(spec, x86(getpid, 0n, 0x12000000fen)), RET.ALLOW);
    // Bits of the datum outside the mask do not matter (libseccomp masks the datum too).
    const outside: SeccompSpec = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['getpid'], action: 'SCMP_ACT_TRAP', args: [{ index: 0, value: 0xf, valueTwo: 0xf3, op: 'SCMP_CMP_MASKED_EQ' }] }] };
    assert.equal(run(outside, x86(getpid, 3n)), RET.TRAP);
  });

  it('ANDs the conditions of one rule, including two on the same argument', () => {
    const spec: SeccompSpec = {
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{
        names: ['getpid'],
        action: 'SCMP_ACT_TRAP',
        args: [
          { index: 0, value: 1, op: 'SCMP_CMP_EQ' },
          { index: 3, value: 5, op: 'SCMP_CMP_GT' },
          { index: 3, value: 10, op: 'SCMP_CMP_LT' },
        ],
      }],
    };
    assert.equal(run(spec, x86(getpid, 1n, 0n, 0n, 7n)), RET.TRAP);
    assert.equal(run(spec, x86(getpid, 1n, 0n, 0n, 5n)), RET.ALLOW);
    assert.equal(run(spec, x86(getpid, 1n, 0n, 0n, 10n)), RET.ALLOW);
    assert.equal(run(spec, x86(getpid, 2n, 0n, 0n, 7n)), RET.ALLOW);
  });

  it('tries rules for one syscall in order, first match wins', () => {
    const spec: SeccompSpec = {
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [
        { names: ['getpid'], action: 'SCMP_ACT_ERRNO', errnoRet: 11, args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }] },
        { names: ['getppid', 'getpid'], action: 'SCMP_ACT_ERRNO', errnoRet: 22, args: [{ index: 0, value: 1, op: 'SCMP_CMP_GE' }] },
        { names: ['getpid'], action: 'SCMP_ACT_TRAP' },
        { names: ['getpid'], action: 'SCMP_ACT_KILL' }, // never reached
      ],
    };
    assert.equal(run(spec, x86(getpid, 1n)), RET.ERRNO(11));
    assert.equal(run(spec, x86(getpid, 2n)), RET.ERRNO(22));
    assert.equal(run(spec, x86(getpid, 0n)), RET.TRAP);
    assert.equal(run(spec, x86(X64.getppid!, 3n)), RET.ERRNO(22));
    assert.equal(run(spec, x86(X64.getppid!, 0n)), RET.ALLOW);
  });

  it('keeps a rule that restates the default when a later rule for the syscall could match', () => {
    const spec: SeccompSpec = {
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [
        { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0, op: 'SCMP_CMP_EQ' }] },
        { names: ['personality'], action: 'SCMP_ACT_ERRNO' },
      ],
    };
    assert.equal(run(spec, x86(X64.personality!, 0n)), RET.ALLOW);
    assert.equal(run(spec, x86(X64.personality!, 8n)), RET.ERRNO(1));
  });

  it('accepts u64 values as numbers, bigints and strings; 2^64 from JSON rounding means 2^64-1', () => {
    const warnings: string[] = [];
    const spec = JSON.parse('{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["getpid"],"action":"SCMP_ACT_TRAP","args":[{"index":0,"value":18446744073709551615,"op":"SCMP_CMP_EQ"}]}]}') as SeccompSpec;
    const out = compileChecked(spec, 'SCMP_ARCH_X86_64', warnings);
    assert.equal(runFilter(out.program, x86(getpid, 0xffffffffffffffffn)), RET.TRAP);
    assert.match(warnings.join('\n'), /2\^64-1/);
    const big: SeccompSpec = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['getpid'], action: 'SCMP_ACT_TRAP', args: [{ index: 0, value: 0x123456789abcdefn, op: 'SCMP_CMP_EQ' }] }] };
    assert.equal(run(big, x86(getpid, 0x123456789abcdefn)), RET.TRAP);
  });
});

describe('compileSeccomp: -ENOSYS for syscalls newer than the profile (runc)', () => {
  it('returns ENOSYS above the highest named syscall under a deny default', () => {
    const spec: SeccompSpec = { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read', 'getpid'], action: 'SCMP_ACT_ALLOW' }] };
    assert.equal(run(spec, x86(getpid - 1)), RET.ERRNO(1));
    assert.equal(run(spec, x86(getpid + 1)), RET.ERRNO(38));
    assert.equal(run(spec, x86(1000)), RET.ERRNO(38));
  });

  it('does not stub under an allowing default', () => {
    for (const defaultAction of ['SCMP_ACT_ALLOW', 'SCMP_ACT_LOG', 'SCMP_ACT_TRACE'] as const) {
      const spec: SeccompSpec = { defaultAction, syscalls: [{ names: ['read'], action: 'SCMP_ACT_KILL' }] };
      const want = defaultAction === 'SCMP_ACT_ALLOW' ? RET.ALLOW : defaultAction === 'SCMP_ACT_LOG' ? RET.LOG : RET.TRACE(1);
      assert.equal(run(spec, x86(1000)), want);
    }
  });
});

describe('compileSeccomp: long programs', () => {
  it('reaches targets beyond 255 instructions (trampolines and copied returns)', () => {
    const names = Object.keys(X64).slice(0, 300);
    const spec: SeccompSpec = {
      defaultAction: 'SCMP_ACT_ERRNO',
      syscalls: names.map((n, i) => ({
        names: [n],
        action: i % 3 === 0 ? 'SCMP_ACT_ALLOW' : 'SCMP_ACT_TRAP',
        args: [{ index: i % 6, value: BigInt(i) << BigInt((i % 2) * 32), op: i % 2 ? 'SCMP_CMP_EQ' : 'SCMP_CMP_LE' }],
      })),
    };
    const out = compileChecked(spec);
    assert.ok(out.instructions > 1000, `only ${out.instructions} instructions`);
    const cases: SeccompData[] = [];
    for (let nr = 0; nr < 460; nr++) {
      for (const v of [0n, 5n, 150n, 150n << 32n, 0xffffffffn]) cases.push(x86(nr, v, v, v, v, v, v));
    }
    assertMatchesReference(spec, 'SCMP_ARCH_X86_64', cases, out);
  });

  it('handles one syscall with many rules (its chain longer than 255)', () => {
    const syscalls = Array.from({ length: 120 }, (_, i) => ({
      names: ['ioctl'], action: 'SCMP_ACT_ALLOW' as const, args: [{ index: 1, value: 0x5400 + i, op: 'SCMP_CMP_EQ' as const }],
    }));
    const spec: SeccompSpec = { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read', 'write', 'exit'], action: 'SCMP_ACT_ALLOW' }, ...syscalls] };
    const out = compileChecked(spec);
    const cases: SeccompData[] = [];
    for (let nr = 0; nr < 80; nr++) for (const v of [0n, 0x5400n, 0x5477n, 0x5478n, 0x100005400n]) cases.push(x86(nr, 0n, v));
    assertMatchesReference(spec, 'SCMP_ARCH_X86_64', cases, out);
  });

  it('refuses a program over 4096 instructions', () => {
    const syscalls = Array.from({ length: 1100 }, (_, i) => ({
      names: ['ioctl'], action: 'SCMP_ACT_ALLOW' as const, args: [{ index: 1, value: 2 ** 33 + i, op: 'SCMP_CMP_EQ' as const }],
    }));
    expectError({ defaultAction: 'SCMP_ACT_ERRNO', syscalls }, /over the kernel's limit of 4096/);
  });
});

describe('compileSeccomp: validation', () => {
  const base = { defaultAction: 'SCMP_ACT_ALLOW' };
  const rule = (r: object): object => ({ ...base, syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }, { names: ['a'], action: 'SCMP_ACT_ALLOW' }, { names: ['b'], action: 'SCMP_ACT_ALLOW' }, r] });

  it('names the rule and the problem', () => {
    expectError(rule({ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 1, op: 'SCMP_CMP_FOO' }] }), 'seccomp: syscalls[3]: unknown op "SCMP_CMP_FOO"');
    expectError(rule({ names: ['read'], action: 'SCMP_ACT_FOO' }), 'seccomp: syscalls[3]: unknown action "SCMP_ACT_FOO"');
    expectError(rule({ names: [], action: 'SCMP_ACT_ERRNO' }), 'seccomp: syscalls[3]: names is empty');
    expectError(rule({ action: 'SCMP_ACT_ERRNO' }), 'seccomp: syscalls[3]: names is empty');
    expectError(rule({ names: [''], action: 'SCMP_ACT_ERRNO' }), /syscalls\[3\]: invalid syscall name/);
    expectError(rule({ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 6, value: 1, op: 'SCMP_CMP_EQ' }] }), /syscalls\[3\]\.args\[0\]: index 6 is not in 0\.\.5/);
    expectError(rule({ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: -1, op: 'SCMP_CMP_EQ' }] }), /syscalls\[3\]\.args\[0\]\.value/);
    expectError(rule({ names: ['read'], action: 'SCMP_ACT_ERRNO', errnoRet: 70000 }), /syscalls\[3\]: errnoRet 70000/);
  });

  it('checks the top level', () => {
    expectError(null, /linux\.seccomp: not an object/);
    expectError({ defaultAction: 'SCMP_ACT_NOPE' }, 'seccomp: defaultAction: unknown action "SCMP_ACT_NOPE"');
    expectError({ ...base, flags: ['SECCOMP_FILTER_FLAG_FOO'] }, /flags\[0\]: unknown flag/);
    expectError({ ...base, architectures: ['x86_64'] }, /architectures\[0\]: unknown architecture/);
    expectError({ ...base, syscalls: {} }, /syscalls: not an array/);
  });

  it('SCMP_ACT_NOTIFY needs a listener, cannot be the default and cannot take write', () => {
    expectError({ ...base, syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }] }, /syscalls\[0\]: SCMP_ACT_NOTIFY needs linux\.seccomp\.listenerPath/);
    expectError({ defaultAction: 'SCMP_ACT_NOTIFY', listenerPath: '/a' }, /cannot be the default action/);
    expectError({ ...base, listenerPath: '/a', syscalls: [{ names: ['write'], action: 'SCMP_ACT_NOTIFY' }] }, /cannot be used for the write syscall/);
  });

  it('refuses an unsupported native arch', () => {
    assert.throws(() => compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW' }, { nativeArch: 'ppc64' }), /native architecture ppc64/);
  });

  it('skips unknown names; warns only about names no arch knows', () => {
    const warnings: string[] = [];
    const spec: SeccompSpec = { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['getpid', 'no_such_call', 'chown32', 'constructor'], action: 'SCMP_ACT_ALLOW' }] };
    const out = compileChecked(spec, 'SCMP_ARCH_X86_64', warnings);
    assert.deepEqual(warnings, ['seccomp: unknown syscall name(s) skipped: no_such_call, constructor']);
    assert.equal(runFilter(out.program, x86(getpid)), RET.ALLOW);
  });

  it('accepts node arch names for nativeArch', () => {
    const out = compileSeccomp({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['getpid'], action: 'SCMP_ACT_ALLOW' }] }, { nativeArch: 'arm64' });
    assert.equal(runFilter(out.program, { nr: 172, arch: AUDIT.AARCH64 }), RET.ALLOW);
  });
});
