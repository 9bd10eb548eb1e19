// Code generation for one architecture's part of the filter: the syscall number space is cut into
// intervals with one outcome each (a return value, or a chain of argument rules), and a balanced
// binary search over the interval starts picks the outcome in about log2(intervals) comparisons.
import { Assembler, type Target } from './assembler.js';
import {
  BPF_JMP_JEQ_K,
  BPF_JMP_JGE_K,
  BPF_JMP_JGT_K,
  SECCOMP_DATA_ARGS,
} from './constants.js';
import type { Cond } from './validate.js';

const U32_MAX = 0xffffffff;
const U64_MAX = (1n << 64n) - 1n;

/** An argument rule as compiled for one arch: conditions already simplified for its word size. */
export interface ArgRule {
  action: number;
  conds: Cond[];
}

/** A chain carries its ABI's word size: x86_64 and x32 share one search but not argument widths. */
export type Outcome = { ret: number } | { chain: ArgRule[]; bits: 32 | 64 };

export interface Segment {
  start: number;
  end: number;
  outcome: Outcome;
}

/**
 * Decides what can be decided without looking at the argument. On 32-bit ABIs (x86, arm, x32)
 * only the low word is compared, with the value truncated, as libseccomp does.
 */
export function simplifyCond(c: Cond, bits: 32 | 64): Cond | boolean {
  const max = bits === 32 ? BigInt(U32_MAX) : U64_MAX;
  const v = c.value & max;
  const c2: Cond = { ...c, value: v, valueTwo: c.valueTwo & max };
  switch (c.op) {
    case 'SCMP_CMP_LT': return v === 0n ? false : c2;
    case 'SCMP_CMP_LE': return v === max ? true : c2;
    case 'SCMP_CMP_GT': return v === max ? false : c2;
    case 'SCMP_CMP_GE': return v === 0n ? true : c2;
    // libseccomp compares against datum & mask, so bits outside the mask never make a rule dead.
    case 'SCMP_CMP_MASKED_EQ': return v === 0n ? true : { ...c2, valueTwo: c2.valueTwo & v };
    default: return c2;
  }
}

/** Merges neighbouring intervals with the same outcome; `key` names an outcome for comparison. */
export function mergeSegments(segs: Segment[], key: (o: Outcome) => string): Segment[] {
  const out: Segment[] = [];
  let lastKey = '';
  for (const s of segs) {
    const k = key(s.outcome);
    const last = out[out.length - 1];
    if (last !== undefined && k === lastKey && last.end + 1 === s.start) last.end = s.end;
    else {
      out.push({ ...s });
      lastKey = k;
    }
  }
  return out;
}

export class ArchEmitter {
  // One chain block per interval, emitted inline right after the node that reaches it: a block
  // shared between intervals would be behind some of its users, and BPF jumps only forward.
  private chainLabels = new Map<Segment, number>();

  constructor(
    private readonly asm: Assembler,
    private readonly defaultRet: number,
  ) {}

  /** Emits the search over `segs` (which cover [segs[0].start, last.end] without gaps); A holds nr. */
  emitSearch(segs: Segment[]): void {
    if (segs.length === 0) throw new Error('codegen: no segments');
    if (segs.length === 1) {
      const o = segs[0]!.outcome;
      if ('ret' in o) this.asm.ret(o.ret);
      else this.emitChain(o.chain, o.bits);
      return;
    }
    this.emitNode(segs, 0, segs.length - 1, null);
  }

  private targetOf(segs: Segment[], l: number, r: number): Target {
    if (l === r) {
      const seg = segs[l]!;
      if ('ret' in seg.outcome) return { ret: seg.outcome.ret };
      const label = this.asm.label();
      this.chainLabels.set(seg, label);
      return { label };
    }
    return { label: this.asm.label() };
  }

  private emitNode(segs: Segment[], l: number, r: number, label: number | null): void {
    if (label !== null) this.asm.bind(label);
    const m = (l + r + 1) >> 1;
    const right = this.targetOf(segs, m, r);
    const left = this.targetOf(segs, l, m - 1);
    this.asm.jmp(BPF_JMP_JGE_K, segs[m]!.start, right, left);
    this.emitSide(segs, l, m - 1, left);
    this.emitSide(segs, m, r, right);
  }

  private emitSide(segs: Segment[], l: number, r: number, t: Target): void {
    if (l === r) this.emitLeaf(segs[l]!);
    else this.emitNode(segs, l, r, (t as { label: number }).label);
  }

  private emitLeaf(seg: Segment): void {
    const o = seg.outcome;
    if ('ret' in o) return;
    this.asm.bind(this.chainLabels.get(seg)!);
    this.emitChain(o.chain, o.bits);
  }

  /** Rules in order, first match wins; no match gives the default action. */
  private emitChain(rules: ArgRule[], bits: 32 | 64): void {
    for (const [i, rule] of rules.entries()) {
      const last = i === rules.length - 1;
      const next: Target = last ? { ret: this.defaultRet } : { label: this.asm.label() };
      this.emitConds(rule.conds, bits, { ret: rule.action }, next);
      if (!last) this.asm.bind((next as { label: number }).label);
    }
  }

  /** All conditions must hold (AND): each one passes to the next, the last one to `pass`. */
  private emitConds(conds: Cond[], bits: 32 | 64, pass: Target, fail: Target): void {
    if (conds.length === 0) {
      this.asm.ja(pass);
      return;
    }
    for (const [i, c] of conds.entries()) {
      const last = i === conds.length - 1;
      const ok: Target = last ? pass : { label: this.asm.label() };
      this.emitCond(c, bits, ok, fail);
      if (!last) this.asm.bind((ok as { label: number }).label);
    }
  }

  private here(): { label: number } {
    return { label: this.asm.label() };
  }

  /** Jumps to `pass` or `fail`; emits no fall-through path. */
  private emitCond(c: Cond, bits: 32 | 64, pass: Target, fail: Target): void {
    const a = this.asm;
    const lo = SECCOMP_DATA_ARGS + 8 * c.index; // little-endian: low word first
    const vlo = Number(c.value & 0xffffffffn);
    const vhi = Number(c.value >> 32n);
    const wide = bits === 64;
    const step = (fn: (next: { label: number }) => void): void => {
      const next = this.here();
      fn(next);
      a.bind(next.label);
    };

    switch (c.op) {
      case 'SCMP_CMP_EQ':
      case 'SCMP_CMP_NE': {
        const [yes, no] = c.op === 'SCMP_CMP_EQ' ? [pass, fail] : [fail, pass];
        if (wide) step((n) => { a.ld(lo + 4); a.jmp(BPF_JMP_JEQ_K, vhi, n, no); });
        a.ld(lo);
        a.jmp(BPF_JMP_JEQ_K, vlo, yes, no);
        return;
      }
      case 'SCMP_CMP_GT':
      case 'SCMP_CMP_GE':
      case 'SCMP_CMP_LT':
      case 'SCMP_CMP_LE': {
        // GT/GE pass when the argument is above; LT/LE are their negations (LT = !GE, LE = !GT).
        const above = c.op === 'SCMP_CMP_GT' || c.op === 'SCMP_CMP_GE';
        const [yes, no] = above ? [pass, fail] : [fail, pass];
        const strict = c.op === 'SCMP_CMP_GT' || c.op === 'SCMP_CMP_LE';
        if (wide) {
          a.ld(lo + 4);
          if (vhi !== U32_MAX) step((n) => a.jmp(BPF_JMP_JGT_K, vhi, yes, n));
          if (vhi !== 0) step((n) => a.jmp(BPF_JMP_JEQ_K, vhi, n, no));
        }
        a.ld(lo);
        a.jmp(strict ? BPF_JMP_JGT_K : BPF_JMP_JGE_K, vlo, yes, no);
        return;
      }
      case 'SCMP_CMP_MASKED_EQ': {
        const mlo = Number(c.value & 0xffffffffn);
        const mhi = Number(c.value >> 32n);
        const dlo = Number(c.valueTwo & 0xffffffffn);
        const dhi = Number(c.valueTwo >> 32n);
        const half = (off: number, mask: number, datum: number, yes: Target): void => {
          a.ld(off);
          if (mask !== U32_MAX) a.and(mask);
          a.jmp(BPF_JMP_JEQ_K, datum, yes, fail);
        };
        if (wide && mhi !== 0) {
          if (mlo === 0) { half(lo + 4, mhi, dhi, pass); return; }
          step((n) => half(lo + 4, mhi, dhi, n));
        }
        half(lo, mlo, dlo, pass);
        return;
      }
      default:
        throw new Error(`codegen: op ${String(c.op)}`);
    }
  }
}
