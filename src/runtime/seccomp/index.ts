// The seccomp compiler: OCI linux.seccomp → classic BPF bytes for the C helper to load.
export { compileSeccomp, nativeScmpArch } from './compile.js';
export { compileSeccompCached } from './compile-cached.js';
export { defaultSeccompProfile } from './default-profile.js';
export type {
  CompileOptions,
  CompiledSeccomp,
  SeccompAction,
  SeccompArch,
  SeccompArg,
  SeccompFlag,
  SeccompOperator,
  SeccompSpec,
  SeccompSyscall,
} from './types.js';
