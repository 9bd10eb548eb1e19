// Test helper: a classic-BPF interpreter for seccomp filters, and the structural checks the kernel
// makes before it accepts one (bpf_check_classic + seccomp_check_filter). It runs any program the
// kernel would (libseccomp's too), so outputs of both compilers can be compared.
import { BPF_MAXINSNS, SECCOMP_DATA_SIZE } from './constants.js';

export interface SeccompData {
  nr: number;
  arch: number;
  instructionPointer?: bigint;
  args?: readonly bigint[];
}

export interface Insn {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

export function decode(program: Buffer): Insn[] {
  if (program.length % 8 !== 0) throw new Error(`program length ${program.length} is not a multiple of 8`);
  const out: Insn[] = [];
  for (let o = 0; o < program.length; o += 8) {
    out.push({ code: program.readUInt16LE(o), jt: program.readUInt8(o + 2), jf: program.readUInt8(o + 3), k: program.readUInt32LE(o + 4) });
  }
  return out;
}

const CLASS = (c: number): number => c & 0x07;
const LD = 0x00, LDX = 0x01, ST = 0x02, STX = 0x03, ALU = 0x04, JMP = 0x05, RET = 0x06, MISC = 0x07;
const BPF_MEMWORDS = 16;

/** Opcodes seccomp accepts (kernel/seccomp.c seccomp_check_filter). */
const ALLOWED = new Set([
  0x20, // ld [k]          (rewritten by seccomp to load from seccomp_data)
  0x80, // ld #len
  0x81, // ldx #len
  0x00, 0x01, // ld/ldx #k
  0x60, 0x61, 0x02, 0x03, // ld/ldx M[k], st/stx M[k]
  0x04, 0x0c, 0x14, 0x1c, 0x24, 0x2c, 0x34, 0x3c, 0x44, 0x4c, 0x54, 0x5c, 0x64, 0x6c, 0x74, 0x7c, 0x84, 0x94, 0x9c, 0xa4, 0xac,
  0x05, 0x15, 0x1d, 0x25, 0x2d, 0x35, 0x3d, 0x45, 0x4d,
  0x06, 0x16,
  0x07, 0x87, // tax, txa
]);

/** Throws unless the kernel would accept the program as a seccomp filter. */
export function validateStructure(program: Buffer): void {
  const p = decode(program);
  if (p.length === 0 || p.length > BPF_MAXINSNS) throw new Error(`program length ${p.length} is not in 1..${BPF_MAXINSNS}`);
  for (const [i, x] of p.entries()) {
    if (!ALLOWED.has(x.code)) throw new Error(`insn ${i}: opcode 0x${x.code.toString(16)} not allowed in seccomp`);
    if (x.code === 0x20 && (x.k >= SECCOMP_DATA_SIZE || x.k % 4 !== 0)) throw new Error(`insn ${i}: load offset ${x.k} outside seccomp_data`);
    if ((x.code === 0x60 || x.code === 0x61 || x.code === 0x02 || x.code === 0x03) && x.k >= BPF_MEMWORDS) throw new Error(`insn ${i}: scratch slot ${x.k}`);
    if ((x.code === 0x34 || x.code === 0x94) && x.k === 0) throw new Error(`insn ${i}: division by constant 0`);
    if (CLASS(x.code) === JMP) {
      if (x.code === 0x05) {
        if (i + 1 + x.k >= p.length) throw new Error(`insn ${i}: ja +${x.k} leaves the program`);
      } else if (i + 1 + x.jt >= p.length || i + 1 + x.jf >= p.length) {
        throw new Error(`insn ${i}: jump +${x.jt}/+${x.jf} leaves the program`);
      }
    }
  }
  const last = p[p.length - 1]!;
  if (CLASS(last.code) !== RET) throw new Error('the last instruction is not a return');
}

function seccompWord(d: SeccompData, off: number): number {
  if (off === 0) return d.nr >>> 0;
  if (off === 4) return d.arch >>> 0;
  const word = (v: bigint, hi: boolean): number => Number((hi ? v >> 32n : v) & 0xffffffffn);
  if (off === 8 || off === 12) return word(d.instructionPointer ?? 0n, off === 12);
  const i = (off - 16) >> 3;
  return word(d.args?.[i] ?? 0n, (off - 16) % 8 === 4);
}

/** Runs the filter on one syscall and returns the 32-bit SECCOMP_RET_* value. */
export function runFilter(program: Buffer | Insn[], data: SeccompData): number {
  const p = Buffer.isBuffer(program) ? decode(program) : program;
  let A = 0, X = 0;
  const M = new Array<number>(BPF_MEMWORDS).fill(0);
  for (let pc = 0; pc < p.length; pc++) {
    const { code, jt, jf, k } = p[pc]!;
    switch (CLASS(code)) {
      case LD:
        if (code === 0x20) A = seccompWord(data, k);
        else if (code === 0x80) A = SECCOMP_DATA_SIZE;
        else if (code === 0x00) A = k;
        else if (code === 0x60) A = M[k]!;
        else throw new Error(`pc ${pc}: ld 0x${code.toString(16)}`);
        break;
      case LDX:
        if (code === 0x81) X = SECCOMP_DATA_SIZE;
        else if (code === 0x01) X = k;
        else if (code === 0x61) X = M[k]!;
        else throw new Error(`pc ${pc}: ldx 0x${code.toString(16)}`);
        break;
      case ST: M[k] = A; break;
      case STX: M[k] = X; break;
      case ALU: {
        const src = code & 0x08 ? X : k;
        switch (code & 0xf0) {
          case 0x00: A = (A + src) >>> 0; break;
          case 0x10: A = (A - src) >>> 0; break;
          case 0x20: A = Math.imul(A, src) >>> 0; break;
          case 0x30: if (src === 0) return 0; A = Math.floor(A / src) >>> 0; break;
          case 0x40: A = (A | src) >>> 0; break;
          case 0x50: A = (A & src) >>> 0; break;
          case 0x60: A = src >= 32 ? 0 : (A << src) >>> 0; break;
          case 0x70: A = src >= 32 ? 0 : A >>> src; break;
          case 0x80: A = (-A) >>> 0; break;
          case 0x90: if (src === 0) return 0; A = (A % src) >>> 0; break;
          case 0xa0: A = (A ^ src) >>> 0; break;
          default: throw new Error(`pc ${pc}: alu 0x${code.toString(16)}`);
        }
        break;
      }
      case JMP: {
        if (code === 0x05) { pc += k; break; }
        const src = code & 0x08 ? X : k;
        let cond: boolean;
        switch (code & 0xf0) {
          case 0x10: cond = A === src; break;
          case 0x20: cond = A > src; break;
          case 0x30: cond = A >= src; break;
          case 0x40: cond = (A & src) !== 0; break;
          default: throw new Error(`pc ${pc}: jmp 0x${code.toString(16)}`);
        }
        pc += cond ? jt : jf;
        break;
      }
      case RET: return (code === 0x16 ? A : k) >>> 0;
      case MISC: if (code === 0x07) X = A; else A = X; break;
      default: throw new Error(`pc ${pc}: opcode 0x${code.toString(16)}`);
    }
  }
  throw new Error('fell off the end of the program');
}

/** One line per instruction, for test failure messages and debugging. */
export function disassemble(program: Buffer): string {
  const names: Record<number, string> = { 0x20: 'ld', 0x54: 'and', 0x05: 'ja', 0x15: 'jeq', 0x25: 'jgt', 0x35: 'jge', 0x45: 'jset', 0x06: 'ret' };
  return decode(program)
    .map((x, i) => {
      const op = names[x.code] ?? `op_0x${x.code.toString(16)}`;
      const k = `0x${x.k.toString(16)}`;
      if (x.code === 0x05) return `${i}: ja ${i + 1 + x.k}`;
      if ((x.code & 0x07) === 0x05) return `${i}: ${op} ${k} ? ${i + 1 + x.jt} : ${i + 1 + x.jf}`;
      return `${i}: ${op} ${k}`;
    })
    .join('\n');
}
