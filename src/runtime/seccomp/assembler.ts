// A classic-BPF assembler with symbolic jump targets. Code is emitted in any order against labels;
// `assemble` then lays it out and fixes the one hard limit of classic BPF: conditional jumps reach
// at most 255 instructions forward (jt/jf are u8), while JA takes a u32 offset.
import {
  BPF_ALU_AND_K,
  BPF_JMP_JA,
  BPF_LD_W_ABS,
  BPF_RET_K,
} from './constants.js';

/**
 * Where a jump goes. A `ret` target names a return value instead of a place: any `ret K`
 * instruction in reach serves, so shared returns need no trampolines and far ones are duplicated
 * (a copied RET costs the same one instruction as a JA trampoline, and ends the path sooner).
 */
export type Target = { label: number } | { ret: number };

interface Insn {
  code: number;
  k: number;
  jt?: Target;
  jf?: Target;
  /** JA destination. */
  to?: Target;
}

export class Assembler {
  private insns: Insn[] = [];
  /** label id → instruction index, or -1 while unbound. */
  private labels: number[] = [];
  private pending: number[] = [];

  label(): number {
    this.labels.push(-1);
    return this.labels.length - 1;
  }

  /** Binds the label to the next emitted instruction. */
  bind(label: number): void {
    if (this.labels[label] !== -1) throw new Error(`assembler: label ${label} bound twice`);
    this.pending.push(label);
  }

  get length(): number {
    return this.insns.length;
  }

  private push(insn: Insn): void {
    for (const l of this.pending) this.labels[l] = this.insns.length;
    this.pending.length = 0;
    this.insns.push(insn);
  }

  ld(offset: number): void {
    this.push({ code: BPF_LD_W_ABS, k: offset });
  }

  and(k: number): void {
    this.push({ code: BPF_ALU_AND_K, k: k >>> 0 });
  }

  ret(k: number): void {
    this.push({ code: BPF_RET_K, k: k >>> 0 });
  }

  /** A conditional jump: `code` is one of the BPF_JMP_J*_K opcodes. */
  jmp(code: number, k: number, jt: Target, jf: Target): void {
    this.push({ code, k: k >>> 0, jt, jf });
  }

  ja(to: Target): void {
    // Jumping to a return is the return itself.
    if ('ret' in to) this.ret(to.ret);
    else this.push({ code: BPF_JMP_JA, k: 0, to });
  }

  /**
   * Lays the program out and encodes it as struct sock_filter[] (little-endian).
   * One backward pass suffices: a jump at i is fixed by inserting right after i, which moves only
   * instructions already fixed (they jump forward from beyond i, so no distance of theirs grows).
   */
  assemble(): Buffer {
    if (this.pending.length > 0) throw new Error('assembler: label bound past the end of the program');
    const insns = this.insns;
    const labelAt = this.labels;
    for (const [id, at] of labelAt.entries()) {
      if (at === -1) throw new Error(`assembler: label ${id} never bound`);
    }
    // Insertions happen at i+1 only, so every recorded position after i moves by one.
    const nearestRet = new Map<number, number>(); // ret value → lowest index > i holding it
    const shiftFrom = (at: number): void => {
      for (let l = 0; l < labelAt.length; l++) if (labelAt[l]! >= at) labelAt[l]!++;
      for (const [k, p] of nearestRet) if (p >= at) nearestRet.set(k, p + 1);
    };
    const findRet = (from: number, k: number): number => {
      const p = nearestRet.get(k);
      return p !== undefined && p - from - 1 <= 255 ? p : -1;
    };
    // Resolved offsets, parallel to insns (filled in during the pass; insertions splice both).
    const jt: number[] = new Array<number>(insns.length).fill(0);
    const jf: number[] = new Array<number>(insns.length).fill(0);

    for (let i = insns.length - 1; i >= 0; i--) {
      const x = insns[i]!;
      if (x.code === BPF_RET_K) {
        nearestRet.set(x.k, i);
        continue;
      }
      if (x.code === BPF_JMP_JA) {
        const to = x.to as { label: number };
        x.k = labelAt[to.label]! - i - 1;
        if (x.k < 0) throw new Error(`assembler: backward jump at ${i}`);
        continue;
      }
      if (x.jt === undefined || x.jf === undefined) continue;
      // Resolve both targets; a target out of reach gets a stand-in inserted at i+1. A stand-in
      // for one branch pushes the other branch's destination one further, so check until both fit.
      const targets = [x.jt, x.jf];
      const dest = [-1, -1];
      for (let pass = 0; pass < 3 && (dest[0]! - i - 1 > 255 || dest[1]! - i - 1 > 255 || dest[0] === -1); pass++) {
        for (let b = 0; b < 2; b++) {
          if (dest[b] !== -1 && dest[b]! - i - 1 <= 255) continue;
          const t = targets[b]!;
          let at = 'ret' in t ? findRet(i, t.ret >>> 0) : labelAt[t.label]!;
          if (at === -1 || at - i - 1 > 255) {
            const stand: Insn = 'ret' in t ? { code: BPF_RET_K, k: t.ret >>> 0 } : { code: BPF_JMP_JA, k: 0, to: t };
            shiftFrom(i + 1);
            insns.splice(i + 1, 0, stand);
            jt.splice(i + 1, 0, 0);
            jf.splice(i + 1, 0, 0);
            if (stand.code === BPF_JMP_JA) stand.k = labelAt[(t as { label: number }).label]! - (i + 1) - 1;
            else nearestRet.set(stand.k, i + 1);
            const other = 1 - b;
            if (dest[other] !== -1 && dest[other]! >= i + 1) dest[other]!++;
            at = i + 1;
          }
          if (at <= i) throw new Error(`assembler: backward jump at ${i}`);
          dest[b] = at;
        }
      }
      jt[i] = dest[0]! - i - 1;
      jf[i] = dest[1]! - i - 1;
    }

    const buf = Buffer.alloc(insns.length * 8);
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    for (let i = 0; i < insns.length; i++) {
      const o = i * 8;
      if (jt[i]! > 255 || jf[i]! > 255 || jt[i]! < 0 || jf[i]! < 0) throw new Error(`assembler: jump out of reach at ${i}`);
      view.setUint16(o, insns[i]!.code, true);
      view.setUint8(o + 2, jt[i]!);
      view.setUint8(o + 3, jf[i]!);
      view.setUint32(o + 4, insns[i]!.k >>> 0, true);
    }
    return buf;
  }
}
