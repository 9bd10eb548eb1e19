import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Assembler } from './assembler.js';
import { decode, runFilter, validateStructure } from './bpf-interpreter.js';
import { BPF_JMP_JEQ_K, BPF_JMP_JGE_K, BPF_RET_K } from './constants.js';

describe('Assembler', () => {
  it('resolves labels and shared returns', () => {
    const a = new Assembler();
    const yes = a.label();
    a.ld(0);
    a.jmp(BPF_JMP_JEQ_K, 7, { label: yes }, { ret: 2 });
    a.bind(yes);
    a.jmp(BPF_JMP_JGE_K, 100, { ret: 1 }, { ret: 2 });
    a.ret(1);
    a.ret(2);
    const p = a.assemble();
    validateStructure(p);
    assert.equal(decode(p).length, 5);
    assert.equal(runFilter(p, { nr: 7, arch: 0 }), 2);
    assert.equal(runFilter(p, { nr: 8, arch: 0 }), 2);
  });

  it('copies a far return next to the jump and shares the copy with nearby jumps', () => {
    const a = new Assembler();
    a.ld(0);
    // 600 tests of nr == i in a row, all returning 7 on a match, the only ret 7 far below.
    for (let i = 0; i < 600; i++) {
      const next = a.label();
      a.jmp(BPF_JMP_JEQ_K, i, { ret: 7 }, i < 599 ? { label: next } : { ret: 0 });
      a.bind(next);
    }
    for (let i = 0; i < 400; i++) a.ret(100 + i);
    a.ret(0);
    a.ret(7);
    const p = a.assemble();
    validateStructure(p);
    for (const nr of [0, 1, 254, 255, 256, 599, 600, 5000]) {
      assert.equal(runFilter(p, { nr, arch: 0 }), nr < 600 ? 7 : 0, `nr ${nr}`);
    }
    const copies = decode(p).filter((x) => x.code === BPF_RET_K && x.k === 7).length;
    assert.ok(copies <= 4, `${copies} copies of ret 7`);
  });

  it('uses a JA trampoline for a far label', () => {
    const a = new Assembler();
    const far = a.label();
    a.ld(0);
    a.jmp(BPF_JMP_JEQ_K, 1, { label: far }, { ret: 5 });
    for (let i = 0; i < 300; i++) a.ret(100 + i);
    a.bind(far);
    a.ret(42);
    const p = a.assemble();
    validateStructure(p);
    assert.equal(runFilter(p, { nr: 1, arch: 0 }), 42);
    assert.equal(runFilter(p, { nr: 2, arch: 0 }), 5);
  });

  it('refuses unbound labels', () => {
    const a = new Assembler();
    a.jmp(BPF_JMP_JEQ_K, 1, { label: a.label() }, { ret: 0 });
    a.ret(0);
    assert.throws(() => a.assemble(), /never bound/);
  });
});

describe('validateStructure', () => {
  it('rejects jumps out of the program, a missing final return and bad loads', () => {
    const enc = (...xs: [number, number, number, number][]): Buffer => {
      const b = Buffer.alloc(xs.length * 8);
      xs.forEach(([c, jt, jf, k], i) => { b.writeUInt16LE(c, i * 8); b[i * 8 + 2] = jt; b[i * 8 + 3] = jf; b.writeUInt32LE(k, i * 8 + 4); });
      return b;
    };
    assert.throws(() => validateStructure(enc([0x15, 5, 0, 1], [0x06, 0, 0, 0])), /leaves the program/);
    assert.throws(() => validateStructure(enc([0x20, 0, 0, 0])), /not a return/);
    assert.throws(() => validateStructure(enc([0x20, 0, 0, 64], [0x06, 0, 0, 0])), /outside seccomp_data/);
    assert.throws(() => validateStructure(enc([0x20, 0, 0, 2], [0x06, 0, 0, 0])), /outside seccomp_data/);
    validateStructure(enc([0x20, 0, 0, 60], [0x06, 0, 0, 0]));
  });
});
