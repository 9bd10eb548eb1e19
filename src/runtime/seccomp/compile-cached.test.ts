import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileSeccomp } from './compile.js';
import { cachedProfiles, compileSeccompCached } from './compile-cached.js';
import type { SeccompSpec } from './types.js';

test('compileSeccompCached: the same program as compileSeccomp, warnings replayed on a hit, a copy each time', () => {
  const profile = {
    defaultAction: 'SCMP_ACT_ERRNO',
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_NOSUCH'],
    syscalls: [{ names: ['read', 'write', 'exit_group'], action: 'SCMP_ACT_ALLOW' }],
  } as unknown as SeccompSpec;
  const before = cachedProfiles();
  const w1: string[] = [];
  const a = compileSeccompCached(profile, { onWarning: (w) => w1.push(w) });
  const w2: string[] = [];
  const b = compileSeccompCached(JSON.parse(JSON.stringify(profile)) as SeccompSpec, { onWarning: (w) => w2.push(w) });
  assert.equal(cachedProfiles(), before + 1, 'the second call was a hit');
  assert.deepEqual(a.program, compileSeccomp(profile).program);
  assert.deepEqual(b.program, a.program);
  assert.ok(w1.length > 0 && w1.some((w) => w.includes('SCMP_ARCH_NOSUCH')));
  assert.deepEqual(w2, w1);
  b.program[0] = 0xff;
  assert.notEqual(compileSeccompCached(profile).program[0], 0xff, 'a caller cannot change what the next one gets');
  compileSeccompCached(profile, { nativeArch: 'arm64' });
  assert.equal(cachedProfiles(), before + 1, 'other architectures are not remembered');
});
