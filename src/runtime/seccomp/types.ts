// The OCI runtime-spec `linux.seccomp` section, with the spec's field names. Values arrive from
// config.json, so the compiler validates every field again instead of trusting these types.

export type SeccompAction =
  | 'SCMP_ACT_KILL'
  | 'SCMP_ACT_KILL_PROCESS'
  | 'SCMP_ACT_KILL_THREAD'
  | 'SCMP_ACT_TRAP'
  | 'SCMP_ACT_ERRNO'
  | 'SCMP_ACT_TRACE'
  | 'SCMP_ACT_ALLOW'
  | 'SCMP_ACT_LOG'
  | 'SCMP_ACT_NOTIFY';

export type SeccompOperator =
  | 'SCMP_CMP_NE'
  | 'SCMP_CMP_LT'
  | 'SCMP_CMP_LE'
  | 'SCMP_CMP_EQ'
  | 'SCMP_CMP_GE'
  | 'SCMP_CMP_GT'
  | 'SCMP_CMP_MASKED_EQ';

export type SeccompArch =
  | 'SCMP_ARCH_X86'
  | 'SCMP_ARCH_X86_64'
  | 'SCMP_ARCH_X32'
  | 'SCMP_ARCH_ARM'
  | 'SCMP_ARCH_AARCH64'
  | 'SCMP_ARCH_MIPS'
  | 'SCMP_ARCH_MIPS64'
  | 'SCMP_ARCH_MIPS64N32'
  | 'SCMP_ARCH_MIPSEL'
  | 'SCMP_ARCH_MIPSEL64'
  | 'SCMP_ARCH_MIPSEL64N32'
  | 'SCMP_ARCH_PPC'
  | 'SCMP_ARCH_PPC64'
  | 'SCMP_ARCH_PPC64LE'
  | 'SCMP_ARCH_S390'
  | 'SCMP_ARCH_S390X'
  | 'SCMP_ARCH_PARISC'
  | 'SCMP_ARCH_PARISC64'
  | 'SCMP_ARCH_RISCV64'
  | 'SCMP_ARCH_LOONGARCH64';

export type SeccompFlag =
  | 'SECCOMP_FILTER_FLAG_TSYNC'
  | 'SECCOMP_FILTER_FLAG_LOG'
  | 'SECCOMP_FILTER_FLAG_SPEC_ALLOW'
  | 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV';

/**
 * One argument comparison. Values are u64: JSON numbers are exact only up to 2^53, so a bigint or
 * a decimal string is accepted too. For SCMP_CMP_MASKED_EQ, `value` is the mask and `valueTwo`
 * the datum: (arg & value) == valueTwo.
 */
export interface SeccompArg {
  index: number;
  value: number | bigint | string;
  valueTwo?: number | bigint | string;
  op: SeccompOperator;
}

export interface SeccompSyscall {
  names: string[];
  action: SeccompAction;
  errnoRet?: number;
  args?: SeccompArg[];
}

// Lists are typed loosely (string[]) where the spec allows names berth may not know: the compiler
// decides what an unknown architecture or flag means.
export interface SeccompSpec {
  defaultAction: SeccompAction;
  defaultErrnoRet?: number;
  architectures?: (SeccompArch | string)[];
  flags?: (SeccompFlag | string)[];
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls?: SeccompSyscall[];
}

export interface CompileOptions {
  /** The host's arch; libseccomp always filters it, listed or not. Default: from process.arch. */
  nativeArch?: string;
  onWarning?: (msg: string) => void;
}

export interface CompiledSeccomp {
  /** struct sock_filter[]: u16 code, u8 jt, u8 jf, u32 k; little-endian, 8 bytes each. */
  program: Buffer;
  /** SECCOMP_FILTER_FLAG_* bits for seccomp(SECCOMP_SET_MODE_FILTER, flags, ...). */
  flags: number;
  instructions: number;
  /** Set when a rule uses SCMP_ACT_NOTIFY: where the listener fd must be sent. */
  listenerPath?: string;
}
