#!/usr/bin/env node
// Generates src/runtime/seccomp/syscall-tables.ts: syscall name → number for each architecture the
// seccomp compiler supports. Inputs are the kernel's own tables, so the numbers are facts, not ours:
//   x86_64, x86 (i386), x32   /usr/include/x86_64-linux-gnu/asm/unistd_{64,32,x32}.h (linux-libc-dev)
//   aarch64                   /usr/include/asm-generic/unistd.h, read as arm64 includes it
//   arm (EABI)                src/runtime/seccomp/tables/arm-syscall.tbl (the kernel's syscall.tbl)
// Usage: node scripts/gen-syscall-tables.mjs [--check]   (--check: exit 1 if the file is stale)
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const asmDir = '/usr/include/x86_64-linux-gnu/asm';
const out = join(root, 'src/runtime/seccomp/syscall-tables.ts');

// x32 numbers are stored with __X32_SYSCALL_BIT set, because that is the value seccomp_data.nr holds.
const X32_SYSCALL_BIT = 0x40000000;

/** `#define __NR_name <expr>` lines of an arch header; <expr> is a number or (__X32_SYSCALL_BIT + n). */
function parseUnistd(path) {
  const table = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = /^#define\s+__NR_(\w+)\s+(.+?)\s*$/.exec(line);
    if (!m) continue;
    const [, name, expr] = m;
    const plain = /^(\d+)$/.exec(expr);
    const x32 = /^\(__X32_SYSCALL_BIT\s*\+\s*(\d+)\)$/.exec(expr);
    if (plain) table[name] = Number(plain[1]);
    else if (x32) table[name] = X32_SYSCALL_BIT + Number(x32[1]);
    else throw new Error(`${path}: cannot read "${line}"`);
  }
  return table;
}

/**
 * asm-generic/unistd.h is written for every asm-generic arch at once: it needs the arch's
 * __ARCH_WANT_* switches and __BITS_PER_LONG, and the 32/64-bit-dependent calls are numbered
 * through __NR3264_* names that the end of the file aliases (fcntl vs fcntl64 and so on).
 * This evaluates just enough of the preprocessor for that file: #if/#ifdef/#ifndef/#else/#endif,
 * defined(), ==, !=, &&, ||, !, and #define/#undef of numbers and aliases.
 */
function parseAsmGeneric(path, defines) {
  const macros = new Map(Object.entries(defines));
  const stack = []; // each: { active, taken } for the enclosing conditional
  const active = () => stack.every((s) => s.active);
  const evalCond = (expr) => {
    const js = expr
      .replace(/defined\s*\(\s*(\w+)\s*\)|defined\s+(\w+)/g, (_, a, b) => (macros.has(a ?? b) ? '1' : '0'))
      .replace(/\b[A-Za-z_]\w*\b/g, (id) => {
        const v = macros.get(id);
        return v === undefined ? '0' : String(v);
      });
    if (!/^[\d\s()!=&|<>]+$/.test(js)) throw new Error(`${path}: unsupported #if "${expr}"`);
    return Boolean(Function(`"use strict"; return (${js});`)());
  };
  const resolve = (v) => {
    let cur = v;
    for (let i = 0; i < 10 && !/^\d+$/.test(cur); i++) {
      const next = macros.get(cur);
      if (next === undefined) return undefined;
      cur = String(next);
    }
    return /^\d+$/.test(cur) ? Number(cur) : undefined;
  };
  const table = {};
  const text = readFileSync(path, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/\\\n/g, ' ');
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    let m;
    if ((m = /^#\s*ifdef\s+(\w+)/.exec(line))) { const c = macros.has(m[1]); stack.push({ active: c, taken: c }); continue; }
    if ((m = /^#\s*ifndef\s+(\w+)/.exec(line))) { const c = !macros.has(m[1]); stack.push({ active: c, taken: c }); continue; }
    if ((m = /^#\s*if\s+(.+)$/.exec(line))) { const c = active() && evalCond(m[1]); stack.push({ active: c, taken: c }); continue; }
    if ((m = /^#\s*elif\s+(.+)$/.exec(line))) {
      const top = stack[stack.length - 1];
      const c = !top.taken && evalCond(m[1]);
      top.active = c; top.taken ||= c; continue;
    }
    if (/^#\s*else\b/.test(line)) { const top = stack[stack.length - 1]; top.active = !top.taken; top.taken = true; continue; }
    if (/^#\s*endif\b/.test(line)) { stack.pop(); continue; }
    if (!active()) continue;
    if ((m = /^#\s*undef\s+(\w+)/.exec(line))) { macros.delete(m[1]); delete table[m[1].replace(/^__NR_/, '')]; continue; }
    if ((m = /^#\s*define\s+(\w+)(?:\s+(\S+))?/.exec(line))) {
      const [, name, value] = m;
      macros.set(name, value ?? '');
      if (name.startsWith('__NR_') && value !== undefined) {
        const n = resolve(value);
        if (n !== undefined) table[name.slice('__NR_'.length)] = n;
      }
    }
  }
  if (stack.length !== 0) throw new Error(`${path}: unbalanced #if`);
  // Bookkeeping macros, not syscalls.
  delete table.syscalls;
  delete table.arch_specific_syscall;
  return table;
}

function parseArmTbl(path) {
  const table = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const [nr, abi, name] = line.trim().split(/\s+/);
    if (abi === 'common' || abi === 'eabi') table[name] = Number(nr);
  }
  // arch/arm/include/uapi/asm/unistd.h: __ARM_NR_BASE (0x0f0000) + n.
  const ARM_NR_BASE = 0x0f0000;
  Object.assign(table, {
    breakpoint: ARM_NR_BASE + 1,
    cacheflush: ARM_NR_BASE + 2,
    usr26: ARM_NR_BASE + 3,
    usr32: ARM_NR_BASE + 4,
    set_tls: ARM_NR_BASE + 5,
    get_tls: ARM_NR_BASE + 6,
  });
  return table;
}

// arch/arm64/include/uapi/asm/unistd.h (6.1) switches on these before including asm-generic/unistd.h.
const arm64Defines = {
  __BITS_PER_LONG: 64,
  __ARCH_WANT_RENAMEAT: '',
  __ARCH_WANT_NEW_STAT: '',
  __ARCH_WANT_SET_GET_RLIMIT: '',
  __ARCH_WANT_TIME32_SYSCALLS: '',
  __ARCH_WANT_SYS_CLONE3: '',
  __ARCH_WANT_MEMFD_SECRET: '',
};

const tables = {
  SCMP_ARCH_X86_64: parseUnistd(join(asmDir, 'unistd_64.h')),
  SCMP_ARCH_X86: parseUnistd(join(asmDir, 'unistd_32.h')),
  SCMP_ARCH_X32: parseUnistd(join(asmDir, 'unistd_x32.h')),
  SCMP_ARCH_AARCH64: parseAsmGeneric('/usr/include/asm-generic/unistd.h', arm64Defines),
  SCMP_ARCH_ARM: parseArmTbl(join(root, 'src/runtime/seccomp/tables/arm-syscall.tbl')),
};

const lines = [
  '// GENERATED by scripts/gen-syscall-tables.mjs from the kernel\'s syscall tables; do not edit.',
  '// x32 numbers include __X32_SYSCALL_BIT (0x40000000), as seccomp_data.nr carries it.',
  '',
  'export type SyscallTable = Readonly<Record<string, number>>;',
  '',
  `export type TableArch = ${Object.keys(tables).map((a) => `'${a}'`).join(' | ')};`,
  '',
  'export const SYSCALL_TABLES: Readonly<Record<TableArch, SyscallTable>> = {',
];
for (const [arch, table] of Object.entries(tables)) {
  const entries = Object.entries(table).sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]));
  lines.push(`  ${arch}: {`);
  for (const [name, nr] of entries) lines.push(`    ${name}: ${nr},`);
  lines.push('  },');
}
lines.push('};', '');
const text = lines.join('\n');

if (process.argv.includes('--check')) {
  let current = '';
  try { current = readFileSync(out, 'utf8'); } catch { /* missing counts as stale */ }
  if (current !== text) { console.error(`${out} is stale: run node scripts/gen-syscall-tables.mjs`); process.exit(1); }
} else {
  writeFileSync(out, text);
  const counts = Object.entries(tables).map(([a, t]) => `${a}=${Object.keys(t).length}`).join(' ');
  console.log(`wrote ${out}: ${counts}`);
}
