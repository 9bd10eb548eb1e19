// Test helper: an interpreter for the eBPF subset a cgroup device program needs (ctx loads, ALU,
// JMP/JMP32, exit), plus the structural checks of the kernel's verifier that matter here: jumps
// stay in the program, every instruction is reachable, nothing falls off the end, no register is
// read before it is written, and the context is read only as aligned u32 fields through r1.

export interface DeviceCtx {
  /** (access << 16) | type */
  accessType: number;
  major: number;
  minor: number;
}

interface Insn {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
}

export function decodeEbpf(program: Buffer): Insn[] {
  if (program.length === 0 || program.length % 8 !== 0) throw new Error(`ebpf: program length ${program.length} is not a positive multiple of 8`);
  const out: Insn[] = [];
  for (let o = 0; o < program.length; o += 8) {
    const regs = program.readUInt8(o + 1);
    out.push({ code: program.readUInt8(o), dst: regs & 0xf, src: regs >> 4, off: program.readInt16LE(o + 2), imm: program.readInt32LE(o + 4) });
  }
  return out;
}

const CLASS = (c: number): number => c & 0x07;
const LDX = 0x01, ALU = 0x04, JMP = 0x05, JMP32 = 0x06, ALU64 = 0x07;
const OP = (c: number): number => c & 0xf0;
const SRC_X = 0x08;
const EXIT = 0x90, JA = 0x00, CALL = 0x80;
const M64 = (1n << 64n) - 1n;
const M32 = (1n << 32n) - 1n;

function isJump(x: Insn): boolean {
  return (CLASS(x.code) === JMP || CLASS(x.code) === JMP32) && OP(x.code) !== EXIT && OP(x.code) !== CALL;
}

/** Throws with the kernel-verifier-like reason when the program would be rejected. */
export function checkEbpf(insns: readonly Insn[]): void {
  const n = insns.length;
  if (n > 4096) throw new Error('ebpf: more than 4096 instructions');
  const reachable = new Array<boolean>(n).fill(false);
  const work = [0];
  while (work.length > 0) {
    const i = work.pop()!;
    if (i < 0 || i >= n) throw new Error(`ebpf: jump out of range to ${i}`);
    if (reachable[i]) continue;
    reachable[i] = true;
    const x = insns[i]!;
    const cls = CLASS(x.code);
    if ((cls === JMP || cls === JMP32) && OP(x.code) === EXIT) continue;
    if (cls === LDX) {
      if (x.code !== 0x61 || x.src !== 1 || x.off < 0 || x.off > 8 || x.off % 4 !== 0) throw new Error(`ebpf: insn ${i}: only aligned u32 ctx loads through r1 are allowed`);
    } else if (cls !== ALU && cls !== ALU64 && cls !== JMP && cls !== JMP32) {
      throw new Error(`ebpf: insn ${i}: unsupported class ${cls}`);
    }
    if (x.dst === 10 || (x.dst === 1 && cls !== JMP && cls !== JMP32)) throw new Error(`ebpf: insn ${i}: writes r${x.dst}`);
    if (isJump(x)) {
      if (cls === JMP && OP(x.code) === JA) {
        work.push(i + 1 + x.off);
        continue;
      }
      work.push(i + 1 + x.off);
    }
    if (i + 1 >= n) throw new Error('ebpf: falls off the end of the program');
    work.push(i + 1);
  }
  const dead = reachable.indexOf(false);
  if (dead !== -1) throw new Error(`ebpf: unreachable insn ${dead}`);
}

function alu(op: number, a: bigint, b: bigint, mask: bigint, bits: bigint): bigint {
  switch (op) {
    case 0x00: return (a + b) & mask;
    case 0x10: return (a - b) & mask;
    case 0x40: return a | b;
    case 0x50: return a & b;
    case 0x60: return (a << (b & (bits - 1n))) & mask;
    case 0x70: return a >> (b & (bits - 1n));
    case 0xa0: return a ^ b;
    case 0xb0: return b;
    default: throw new Error(`ebpf: unsupported ALU op 0x${op.toString(16)}`);
  }
}

function cond(op: number, a: bigint, b: bigint): boolean {
  switch (op) {
    case 0x10: return a === b;
    case 0x20: return a > b;
    case 0x30: return a >= b;
    case 0x40: return (a & b) !== 0n;
    case 0x50: return a !== b;
    case 0xa0: return a < b;
    case 0xb0: return a <= b;
    default: throw new Error(`ebpf: unsupported jump op 0x${op.toString(16)}`);
  }
}

/** Runs a checked program on one context; returns r0 at exit. */
export function runDeviceProgram(insns: readonly Insn[], ctx: DeviceCtx): number {
  const regs: (bigint | undefined)[] = new Array(11).fill(undefined);
  regs[1] = 0n; // the context pointer (loads through it read ctxWords)
  regs[10] = 0n; // the frame pointer
  const ctxWords = [ctx.accessType >>> 0, ctx.major >>> 0, ctx.minor >>> 0];
  const read = (r: number, at: number): bigint => {
    const v = regs[r];
    if (v === undefined) throw new Error(`ebpf: insn ${at}: r${r} read before it is written`);
    return v;
  };
  let pc = 0;
  for (let steps = 0; steps < 1_000_000; steps++) {
    const x = insns[pc]!;
    const cls = CLASS(x.code);
    const imm64 = BigInt(x.imm) & M64; // sign-extended to 64 bits
    if (cls === LDX) {
      regs[x.dst] = BigInt(ctxWords[x.off / 4]!);
    } else if (cls === ALU || cls === ALU64) {
      const wide = cls === ALU64;
      const mask = wide ? M64 : M32;
      const b = (x.code & SRC_X ? read(x.src, pc) : imm64) & mask;
      const a = OP(x.code) === 0xb0 ? 0n : read(x.dst, pc) & mask;
      regs[x.dst] = alu(OP(x.code), a, b, mask, wide ? 64n : 32n);
    } else if (OP(x.code) === EXIT) {
      return Number(read(0, pc) & M32);
    } else if (cls === JMP && OP(x.code) === JA) {
      pc += x.off;
    } else {
      const mask = cls === JMP32 ? M32 : M64;
      const a = read(x.dst, pc) & mask;
      const b = (x.code & SRC_X ? read(x.src, pc) : imm64) & mask;
      if (cond(OP(x.code), a, b)) pc += x.off;
    }
    pc++;
  }
  throw new Error('ebpf: step limit');
}
