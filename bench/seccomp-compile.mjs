#!/usr/bin/env node
// Seccomp compile bench: berth's TypeScript compiler against libseccomp (the library runc, crun
// and podman use) on the default profile. Reports the median compile time over N runs, the
// program size, and how often the two filters disagree when run on the same syscalls.
// Needs the TypeScript build (npx tsc) and, for the libseccomp column, cc and libseccomp-dev.
// Usage: node bench/seccomp-compile.mjs [RUNS]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const build = join(root, 'build/src/runtime/seccomp');
const { compileSeccomp, defaultSeccompProfile } = await import(join(build, 'index.js'));
const { runFilter, decode } = await import(join(build, 'bpf-interpreter.js'));
const { actionValue } = await import(join(build, 'validate.js'));

const RUNS = Number(process.argv[2] ?? 200);
const DOCKER_CAPS = ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID', 'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE'];
const VARIANTS = [
  { name: 'default, docker caps, x86_64', arch: 'SCMP_ARCH_X86_64', caps: DOCKER_CAPS },
  { name: 'default, no caps, x86_64', arch: 'SCMP_ARCH_X86_64', caps: [] },
  { name: 'default, CAP_SYS_ADMIN, x86_64', arch: 'SCMP_ARCH_X86_64', caps: [...DOCKER_CAPS, 'CAP_SYS_ADMIN'] },
  { name: 'default, docker caps, aarch64', arch: 'SCMP_ARCH_AARCH64', caps: DOCKER_CAPS },
];
const LIBSECCOMP_ARCH = { SCMP_ARCH_X86_64: 'x86_64', SCMP_ARCH_X86: 'x86', SCMP_ARCH_X32: 'x32', SCMP_ARCH_AARCH64: 'aarch64', SCMP_ARCH_ARM: 'arm' };
const AUDIT = { SCMP_ARCH_X86_64: 0xc000003e, SCMP_ARCH_X86: 0x40000003, SCMP_ARCH_X32: 0xc000003e, SCMP_ARCH_AARCH64: 0xc00000b7, SCMP_ARCH_ARM: 0x40000028 };
const OPS = { SCMP_CMP_EQ: 'EQ', SCMP_CMP_NE: 'NE', SCMP_CMP_LT: 'LT', SCMP_CMP_LE: 'LE', SCMP_CMP_GT: 'GT', SCMP_CMP_GE: 'GE', SCMP_CMP_MASKED_EQ: 'MASKED_EQ' };

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function timeBerth(v) {
  const times = [];
  let out;
  for (let i = 0; i < RUNS; i++) {
    const t0 = process.hrtime.bigint();
    // The profile is built per container too, so it is part of what a start pays.
    out = compileSeccomp(defaultSeccompProfile({ capabilities: v.caps, arch: v.arch }), { nativeArch: v.arch });
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return { ms: median(times), first: times[0], out };
}

/** The same profile as libseccomp rules, the way runc feeds them (one rule per name). */
function rulesFile(spec, native) {
  const lines = [`native ${LIBSECCOMP_ARCH[native]}`, `default ${actionValue('d', spec.defaultAction, spec.defaultErrnoRet)}`];
  for (const a of spec.architectures ?? []) lines.push(`arch ${LIBSECCOMP_ARCH[a]}`);
  for (const r of spec.syscalls ?? []) {
    const act = actionValue('r', r.action, r.errnoRet);
    const args = (r.args ?? []).map((a) => `${a.index} ${OPS[a.op]} ${BigInt(a.value)} ${BigInt(a.valueTwo ?? 0)}`).join(' ');
    for (const n of r.names) lines.push(`rule ${act} ${n} ${args}`.trimEnd());
  }
  return lines.join('\n') + '\n';
}

function* probes(arches) {
  const argSets = [[0n], [17n], [0x003d0f00n], [0x10000000n], [40n], [2n], [8n], [0x20008n], [0xffffffffn], [1n << 32n]];
  for (const a of arches) {
    const base = a === 'SCMP_ARCH_X32' ? 0x40000000 : 0;
    for (let nr = 0; nr <= 500; nr++) for (const args of argSets) yield { arch: AUDIT[a], nr: base + nr, args };
  }
}

const tmp = mkdtempSync(join(tmpdir(), 'berth-seccomp-bench-'));
let helper;
try {
  helper = join(tmp, 'seccomp-libseccomp');
  execFileSync('cc', ['-O2', '-o', helper, join(root, 'bench/seccomp-libseccomp.c'), '-lseccomp'], { stdio: 'pipe' });
} catch (e) {
  console.error(`libseccomp column skipped: cannot build bench/seccomp-libseccomp.c (${String(e.stderr ?? e).trim().split('\n')[0]})`);
  helper = undefined;
}

const rows = [];
try {
  for (const v of VARIANTS) {
    const spec = defaultSeccompProfile({ capabilities: v.caps, arch: v.arch });
    const b = timeBerth(v);
    const row = { variant: v.name, berthInsns: b.out.instructions, berthMs: b.ms, berthFirstMs: b.first };
    if (helper !== undefined) {
      const rules = join(tmp, 'rules.txt');
      const bpf = join(tmp, 'out.bpf');
      writeFileSync(rules, rulesFile(spec, v.arch));
      const out = execFileSync(helper, [rules, bpf, String(Math.min(RUNS, 100))], { encoding: 'utf8' });
      const m = /insns=(\d+) usec=(\d+)/.exec(out);
      row.libInsns = Number(m[1]);
      row.libMs = Number(m[2]) / 1000;
      // Behaviour: the same syscalls through both programs. Expected differences: berth's (runc's)
      // -ENOSYS for syscalls above the profile's highest, which plain libseccomp lacks.
      const ours = decode(b.out.program);
      const theirs = decode(readFileSync(bpf));
      let same = 0, enosys = 0, other = 0;
      const examples = [];
      for (const d of probes(spec.architectures)) {
        const x = runFilter(ours, d), y = runFilter(theirs, d);
        if (x === y) same++;
        else if (x === 0x50026) enosys++;
        else { other++; if (examples.length < 3) examples.push(`arch 0x${d.arch.toString(16)} nr ${d.nr} a0 ${d.args[0]}: berth 0x${x.toString(16)} libseccomp 0x${y.toString(16)}`); }
      }
      row.parity = `${same} same, ${enosys} ENOSYS-stub, ${other} other`;
      row.examples = examples;
    }
    rows.push(row);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

const fmt = (x, d = 3) => (x === undefined ? '-' : x.toFixed(d));
console.log(`seccomp compile, median of ${RUNS} runs (libseccomp: median of ${Math.min(RUNS, 100)}, build + export)`);
console.log('variant                          | berth insns | libseccomp insns | size ratio | berth ms | libseccomp ms | time ratio | berth 1st ms');
console.log('---------------------------------|-------------|------------------|------------|----------|---------------|------------|-------------');
for (const r of rows) {
  console.log([
    r.variant.padEnd(32),
    String(r.berthInsns).padStart(11),
    String(r.libInsns ?? '-').padStart(16),
    (r.libInsns ? fmt(r.berthInsns / r.libInsns, 2) : '-').padStart(10),
    fmt(r.berthMs).padStart(8),
    fmt(r.libMs).padStart(13),
    (r.libMs ? fmt(r.berthMs / r.libMs, 2) : '-').padStart(10),
    fmt(r.berthFirstMs).padStart(12),
  ].join(' | '));
}
for (const r of rows) {
  if (r.parity) console.log(`behaviour, ${r.variant}: ${r.parity}${r.examples.length ? `\n  e.g. ${r.examples.join('\n  e.g. ')}` : ''}`);
}
