// process.rlimits → setrlimit(2) operations.
import { BerthError } from '../../errors.js';
import type { POSIXRlimit } from '../../oci/runtime-spec.js';
import type { RlimitOp } from './launch-plan.js';

/** RLIMIT_* numbers of <asm-generic/resource.h> (x86_64, arm64, riscv; mips/sparc differ and are not targets). */
export const RLIMITS: ReadonlyMap<string, number> = new Map([
  ['RLIMIT_CPU', 0],
  ['RLIMIT_FSIZE', 1],
  ['RLIMIT_DATA', 2],
  ['RLIMIT_STACK', 3],
  ['RLIMIT_CORE', 4],
  ['RLIMIT_RSS', 5],
  ['RLIMIT_NPROC', 6],
  ['RLIMIT_NOFILE', 7],
  ['RLIMIT_MEMLOCK', 8],
  ['RLIMIT_AS', 9],
  ['RLIMIT_LOCKS', 10],
  ['RLIMIT_SIGPENDING', 11],
  ['RLIMIT_MSGQUEUE', 12],
  ['RLIMIT_NICE', 13],
  ['RLIMIT_RTPRIO', 14],
  ['RLIMIT_RTTIME', 15],
]);

export const RLIM_INFINITY = 0xffffffffffffffffn;

/** JSON cannot carry 2^64-1 exactly: it arrives as 2^64 (a double). Anything at or past 2^64 is
 * "unlimited", which is what the writer meant. */
export function toU64(n: number): bigint {
  if (n >= 18446744073709551615) return RLIM_INFINITY;
  return BigInt(Math.trunc(n));
}

export function rlimitOps(rlimits: readonly POSIXRlimit[] | undefined): RlimitOp[] {
  const out: RlimitOp[] = [];
  const seen = new Set<string>();
  (rlimits ?? []).forEach((r, i) => {
    const resource = RLIMITS.get(r.type);
    if (resource === undefined) {
      throw new BerthError('BERTH_ESPEC', `config.json: process.rlimits[${i}].type: unknown rlimit "${r.type}"`);
    }
    if (seen.has(r.type)) {
      throw new BerthError('BERTH_ESPEC', `config.json: process.rlimits[${i}].type: duplicate rlimit "${r.type}"`);
    }
    seen.add(r.type);
    const soft = toU64(r.soft);
    const hard = toU64(r.hard);
    if (soft > hard) {
      throw new BerthError('BERTH_ESPEC', `config.json: process.rlimits[${i}]: soft limit is above the hard limit`);
    }
    out.push({ resource, soft, hard });
  });
  return out;
}
