// `berth-runtime features` (features.md): what this runtime understands, so a caller such as
// containerd can ask before it relies on something. Lists only what the launch plan really does:
// an option listed here and silently ignored would be worse than one refused.
import * as os from 'node:os';
import { HOOK_NAMES, NAMESPACE_TYPES, type Features } from '../oci/runtime-spec.js';
import { CAPABILITIES } from './plan/capabilities.js';
import { knownMountOptions } from '../sys/mount-options.js';

export const OCI_VERSION_MIN = '1.0.0';
export const OCI_VERSION_MAX = '1.2.1';

const SECCOMP_ACTIONS = [
  'SCMP_ACT_ALLOW', 'SCMP_ACT_ERRNO', 'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD',
  'SCMP_ACT_LOG', 'SCMP_ACT_NOTIFY', 'SCMP_ACT_TRACE', 'SCMP_ACT_TRAP',
];
const SECCOMP_OPERATORS = [
  'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_LE', 'SCMP_CMP_LT', 'SCMP_CMP_MASKED_EQ', 'SCMP_CMP_NE',
];
/** The architectures src/runtime/seccomp compiles filters for (x86 family and arm family). */
const SECCOMP_ARCHS = ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM', 'SCMP_ARCH_X32', 'SCMP_ARCH_X86', 'SCMP_ARCH_X86_64'];
const SECCOMP_FLAGS = [
  'SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW',
  'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV',
];

export interface FeaturesOptions {
  /** berth's version, for the annotations. */
  version?: string;
  /** uname release; defaults to os.release(). */
  kernelRelease?: string;
}

export function runtimeFeatures(opts: FeaturesOptions = {}): Features {
  const kernel = opts.kernelRelease ?? os.release();
  const annotations: Record<string, string> = {};
  if (opts.version) annotations['dev.berth.runtime.version'] = opts.version;
  return {
    ociVersionMin: OCI_VERSION_MIN,
    ociVersionMax: OCI_VERSION_MAX,
    hooks: [...HOOK_NAMES],
    mountOptions: knownMountOptions(),
    linux: {
      namespaces: [...NAMESPACE_TYPES].sort(),
      capabilities: [...CAPABILITIES],
      cgroup: { v1: true, v2: true, systemd: false, systemdUser: false },
      seccomp: {
        enabled: true,
        actions: SECCOMP_ACTIONS,
        operators: SECCOMP_OPERATORS,
        archs: SECCOMP_ARCHS,
        knownFlags: SECCOMP_FLAGS,
        // WAIT_KILLABLE_RECV arrived in Linux 5.19; the others are far older than anything we run on.
        supportedFlags: kernelAtLeast(kernel, 5, 19) ? SECCOMP_FLAGS : SECCOMP_FLAGS.slice(0, 3),
      },
      apparmor: { enabled: false },
      selinux: { enabled: false },
      intelRdt: { enabled: false },
      // mount_setattr(MOUNT_ATTR_IDMAP) arrived in Linux 5.12.
      mountExtensions: { idmap: { enabled: kernelAtLeast(kernel, 5, 12) } },
    },
    annotations,
  };
}

export function kernelAtLeast(release: string, major: number, minor: number): boolean {
  const m = /^(\d+)\.(\d+)/.exec(release);
  if (!m) return false;
  const a = Number(m[1]);
  const b = Number(m[2]);
  return a > major || (a === major && b >= minor);
}
