import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SYSCALL_TABLES, type TableArch } from './syscall-tables.js';

// build/src/runtime/seccomp → repository root
const root = join(dirname(fileURLToPath(import.meta.url)), '../../../..');

describe('syscall tables', () => {
  it('hold the kernel numbers', () => {
    const t = SYSCALL_TABLES;
    assert.equal(t.SCMP_ARCH_X86_64.read, 0);
    assert.equal(t.SCMP_ARCH_X86_64.getpid, 39);
    assert.equal(t.SCMP_ARCH_X86_64.clone3, 435);
    assert.equal(t.SCMP_ARCH_X86.socketcall, 102);
    assert.equal(t.SCMP_ARCH_X86.getpid, 20);
    assert.equal(t.SCMP_ARCH_X86._llseek, 140);
    assert.equal(t.SCMP_ARCH_X32.getpid, 0x40000000 + 39);
    assert.equal(t.SCMP_ARCH_X32.rt_sigaction, 0x40000000 + 512);
    assert.equal(t.SCMP_ARCH_AARCH64.getpid, 172);
    assert.equal(t.SCMP_ARCH_AARCH64.openat, 56);
    // asm-generic's __NR3264_ aliases resolved the 64-bit way
    assert.equal(t.SCMP_ARCH_AARCH64.fcntl, 25);
    assert.equal(t.SCMP_ARCH_AARCH64.lseek, 62);
    assert.equal(t.SCMP_ARCH_AARCH64.mmap, 222);
    assert.equal(t.SCMP_ARCH_AARCH64.newfstatat, 79);
    assert.equal(t.SCMP_ARCH_AARCH64.fcntl64, undefined);
    assert.equal(t.SCMP_ARCH_AARCH64.open, undefined);
    assert.equal(t.SCMP_ARCH_ARM.getpid, 20);
    assert.equal(t.SCMP_ARCH_ARM.time, undefined); // OABI only
    assert.equal(t.SCMP_ARCH_ARM.breakpoint, 0x0f0001);
    assert.equal(t.SCMP_ARCH_ARM.set_tls, 0x0f0005);
  });

  it('hold only u32 numbers', () => {
    for (const [arch, table] of Object.entries(SYSCALL_TABLES)) {
      for (const [name, nr] of Object.entries(table)) {
        assert.ok(Number.isInteger(nr) && nr >= 0 && nr <= 0xffffffff, `${arch} ${name}`);
      }
    }
  });

  it('agree with libseccomp (scmp_sys_resolver), where installed', (t) => {
    const probe = spawnSync('scmp_sys_resolver', ['-a', 'x86_64', 'read']);
    if (probe.error !== undefined || probe.status !== 0) return t.skip('scmp_sys_resolver not installed');
    const archName: Record<TableArch, string> = { SCMP_ARCH_X86_64: 'x86_64', SCMP_ARCH_X86: 'x86', SCMP_ARCH_X32: 'x32', SCMP_ARCH_AARCH64: 'aarch64', SCMP_ARCH_ARM: 'arm' };
    // libseccomp gives x86's socketcall/ipc multiplexed calls pseudo numbers; berth uses the direct ones.
    const multiplexed = /^(socket|socketpair|bind|connect|listen|accept4|[gs]etsockopt|getsockname|getpeername|sendto|sendmsg|recvfrom|recvmsg|shutdown|sendmmsg|recvmmsg|sem(get|ctl)|shm(get|ctl|at|dt)|msg(get|snd|rcv|ctl))$/;
    for (const [arch, table] of Object.entries(SYSCALL_TABLES) as [TableArch, Record<string, number>][]) {
      const names = Object.keys(table).filter((_, i) => i % 7 === 0);
      for (const name of names) {
        if (arch === 'SCMP_ARCH_X86' && multiplexed.test(name)) continue;
        const out = execFileSync('scmp_sys_resolver', ['-a', archName[arch], name], { encoding: 'utf8' }).trim();
        assert.equal(Number(out), table[name], `${arch} ${name}`);
      }
    }
  });

  it('are what the generator makes from the installed headers', (t) => {
    if (!existsSync('/usr/include/x86_64-linux-gnu/asm/unistd_64.h') || !existsSync(join(root, 'scripts/gen-syscall-tables.mjs'))) {
      return t.skip('kernel headers or generator not here');
    }
    const r = spawnSync(process.execPath, [join(root, 'scripts/gen-syscall-tables.mjs'), '--check'], { encoding: 'utf8' });
    // Newer kernel headers than the committed tables were made from are not a failure of this code.
    if (r.status !== 0) t.diagnostic(`tables differ from this machine's headers: ${r.stderr.trim()}`);
  });
});
