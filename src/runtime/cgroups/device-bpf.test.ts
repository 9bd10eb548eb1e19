import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isBerthError } from '../../errors.js';
import { ALWAYS_ALLOWED } from '../plan/device-rules.js';
import {
  ACC_MKNOD, ACC_READ, ACC_WRITE, compileDeviceFilter, DEV_BLOCK, DEV_CHAR, deviceAllowed, emulateDeviceRules, encodeEbpf, exceptionText,
  type DeviceRequest,
} from './device-bpf.js';
import { checkEbpf, decodeEbpf, runDeviceProgram } from './ebpf-interpreter.js';
import type { LinuxDeviceCgroup } from './resources.js';

const R = ACC_READ, W = ACC_WRITE, M = ACC_MKNOD;
const allow = (type: string | undefined, major?: number, minor?: number, access?: string): LinuxDeviceCgroup => ({ allow: true, type, major, minor, access });
const deny = (type: string | undefined, major?: number, minor?: number, access?: string): LinuxDeviceCgroup => ({ allow: false, type, major, minor, access });

function programDecides(rules: LinuxDeviceCgroup[], r: DeviceRequest): boolean {
  const insns = decodeEbpf(compileDeviceFilter(rules).program);
  checkEbpf(insns);
  const ret = runDeviceProgram(insns, { accessType: (r.access << 16) | r.type, major: r.major, minor: r.minor });
  assert.ok(ret === 0 || ret === 1, `returns 0 or 1, got ${ret}`);
  return ret === 1;
}

/** Every (type, major, minor, access) among the numbers the rules mention and a few others. */
function requests(rules: LinuxDeviceCgroup[]): DeviceRequest[] {
  const nums = new Set([0, 1, 3, 5, 7, 136, 4095, 0xfffff]);
  for (const r of rules) for (const n of [r.major, r.minor]) if (n !== undefined && n >= 0) nums.add(n);
  const out: DeviceRequest[] = [];
  for (const type of [DEV_BLOCK, DEV_CHAR] as const) {
    for (const major of nums) for (const minor of nums) for (let access = 1; access <= 7; access++) out.push({ type, major, minor, access });
  }
  return out;
}

function agree(rules: LinuxDeviceCgroup[]): void {
  const state = emulateDeviceRules(rules);
  const insns = decodeEbpf(compileDeviceFilter(rules).program);
  checkEbpf(insns);
  for (const r of requests(rules)) {
    const want = deviceAllowed(state, r);
    const got = runDeviceProgram(insns, { accessType: (r.access << 16) | r.type, major: r.major, minor: r.minor }) === 1;
    assert.equal(got, want, `${JSON.stringify(rules)} on ${JSON.stringify(r)}`);
  }
}

const c = (major: number, minor: number, access: number): DeviceRequest => ({ type: DEV_CHAR, major, minor, access });
const b = (major: number, minor: number, access: number): DeviceRequest => ({ type: DEV_BLOCK, major, minor, access });

describe('cgroup device eBPF program', () => {
  it('encodes struct bpf_insn: code, dst|src<<4, s16 off, s32 imm, little-endian', () => {
    const buf = encodeEbpf([{ code: 0x61, dst: 2, src: 1, off: 4, imm: 0 }, { code: 0x56, dst: 4, src: 0, off: -2, imm: 0xfffffffe }]);
    assert.equal(buf.toString('hex'), '6112040000000000' + '5604feff' + 'feffffff');
  });

  it('with no rules (deny a only) denies everything, in two instructions after the six loads', () => {
    const { program, state } = compileDeviceFilter([]);
    assert.deepEqual(state, { defaultAllow: false, exceptions: [], ineffective: [] });
    assert.equal(program.length / 8, 6 + 2);
    assert.equal(programDecides([], c(1, 3, R)), false);
  });

  it('allow a allows everything; a later deny a denies everything again', () => {
    assert.equal(programDecides([allow('a')], b(8, 0, R | W | M)), true);
    assert.equal(programDecides([allow(undefined)], c(4095, 0xfffff, W)), true);
    assert.equal(programDecides([allow('a'), allow('c', 1, 3), deny('a')], c(1, 3, R)), false);
  });

  it('follows the v1 controller: exact exceptions, wildcards, access subsets', () => {
    const rules = [allow('c', 1, 3, 'rwm'), allow('c', 1, 5, 'rw'), allow('c', 136, -1, 'rw'), allow('b', undefined, undefined, 'm')];
    assert.equal(programDecides(rules, c(1, 3, R | W | M)), true);
    assert.equal(programDecides(rules, c(1, 5, R | W)), true);
    assert.equal(programDecides(rules, c(1, 5, M)), false);
    assert.equal(programDecides(rules, c(1, 5, R | M)), false);
    assert.equal(programDecides(rules, c(1, 7, R)), false);
    assert.equal(programDecides(rules, c(136, 42, W)), true);
    assert.equal(programDecides(rules, b(136, 42, W)), false);
    assert.equal(programDecides(rules, b(8, 1, M)), true);
    assert.equal(programDecides(rules, b(8, 1, R)), false);
  });

  it('merges access of the same key and removes it with a later rule the other way', () => {
    const rules = [allow('c', 1, 3, 'r'), allow('c', 1, 3, 'w'), deny('c', 1, 3, 'r')];
    assert.deepEqual(emulateDeviceRules(rules).exceptions.map(exceptionText), ['c 1:3 w']);
    assert.equal(programDecides(rules, c(1, 3, W)), true);
    assert.equal(programDecides(rules, c(1, 3, R)), false);
    assert.equal(programDecides([allow('c', 1, 3), deny('c', 1, 3)], c(1, 3, R)), false);
  });

  it('in allow-by-default mode denies a request sharing any bit with a deny exception', () => {
    const rules = [allow('a'), deny('c', 1, 3, 'w'), deny('b', 8, -1)];
    assert.equal(programDecides(rules, c(1, 3, R)), true);
    assert.equal(programDecides(rules, c(1, 3, R | W)), false);
    assert.equal(programDecides(rules, b(8, 16, M)), false);
    assert.equal(programDecides(rules, b(9, 16, M)), true);
    assert.equal(programDecides([...rules, allow('c', 1, 3, 'w')], c(1, 3, R | W)), true);
  });

  it('keeps v1 rules that cannot punch holes in wildcards ineffective, and reports them', () => {
    const rules = [allow('c', -1, -1, 'rwm'), deny('c', 1, 3, 'rwm')];
    assert.equal(programDecides(rules, c(1, 3, R)), true);
    assert.deepEqual(emulateDeviceRules(rules).ineffective, [{ rule: 'deny c 1:3 rwm', blockedBy: 'c *:* rwm' }]);
    const narrower = [allow('c', 1, 3, 'rwm'), deny('c', 1, -1, 'r')];
    assert.equal(programDecides(narrower, c(1, 3, R)), true);
    assert.deepEqual(emulateDeviceRules(narrower).ineffective, [{ rule: 'deny c 1:* r', blockedBy: 'c 1:3 rwm' }]);
    assert.deepEqual(emulateDeviceRules([allow('c', -1, -1, 'm'), deny('c', 1, 3, 'r')]).ineffective, []);
  });

  it('takes the full u32 range of major and minor numbers', () => {
    const rules = [allow('c', 0x7fffffff + 10, 0xfffffffe, 'r')];
    assert.equal(programDecides(rules, c(0x7fffffff + 10, 0xfffffffe, R)), true);
    assert.equal(programDecides(rules, c(9, 0xfffffffe, R)), false);
  });

  it('agrees with the reference on every request, for many rule lists', () => {
    const lists: LinuxDeviceCgroup[][] = [
      [],
      [allow('a')],
      [deny('a'), ...ALWAYS_ALLOWED],
      [deny('a'), ...ALWAYS_ALLOWED, allow('b', 8, 0, 'rw'), allow('c', 10, 200, 'rwm')],
      [allow('a'), deny('c', 1, 3, 'w'), deny('b', -1, 0, 'r'), deny('c', 5, -1), allow('c', 5, -1, 'w')],
      [allow('c', 1, -1, 'r'), allow('c', -1, 3, 'w'), allow('c', 1, 3, 'm'), deny('c', 1, 3, 'm')],
      [allow('c', -1, -1, 'rwm'), deny('c', 1, 3, 'rwm'), allow('b', 7, 0, 'r'), deny('b', 7, 0, 'r')],
      [allow('a'), deny('c', -1, -1, 'm'), deny('b', -1, -1, 'm'), allow('c', 1, 3, 'm')],
    ];
    // and some pseudo-random ones
    let seed = 7;
    const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
    const pick = <T>(xs: readonly T[]): T => xs[rnd(xs.length)]!;
    for (let i = 0; i < 60; i++) {
      const list: LinuxDeviceCgroup[] = [];
      for (let j = rnd(8); j >= 0; j--) {
        list.push({ allow: rnd(2) === 0, type: pick(['a', 'b', 'c', 'c', 'c', 'b']), major: pick([-1, 1, 5, 136]), minor: pick([-1, 0, 3, 5]), access: pick(['r', 'w', 'm', 'rw', 'rm', 'wm', 'rwm', '']) });
      }
      lists.push(list);
    }
    for (const l of lists) agree(l);
  });

  it('is "last matching rule wins" for lists without ineffective rules', () => {
    const rules = [allow('c', 1, -1, 'rwm'), deny('c', 1, -1, 'w'), allow('c', 5, 0, 'rw'), deny('c', 5, 0, 'rw'), allow('c', 5, 0, 'r')];
    assert.deepEqual(emulateDeviceRules(rules).ineffective, []);
    assert.equal(programDecides(rules, c(1, 9, R | M)), true);
    assert.equal(programDecides(rules, c(1, 9, W)), false);
    assert.equal(programDecides(rules, c(5, 0, R)), true);
    assert.equal(programDecides(rules, c(5, 0, W)), false);
  });

  it('refuses malformed rules naming them', () => {
    const bad = (r: LinuxDeviceCgroup, what: string): void =>
      assert.throws(() => compileDeviceFilter([r]), (e) => isBerthError(e, 'BERTH_EINVAL') && e.message.includes(what));
    bad(allow('x', 1, 3), 'type "x"');
    bad(allow('c', 1, 3, 'rwx'), 'access "rwx"');
    bad(allow('c', -2, 3), 'major');
    bad(allow('c', 1, 2 ** 32), 'minor');
    bad(allow('c', 1.5, 3), 'major');
  });
});
