// The impure edge of cgroup v2 device rules: `berth-nsexec --device-filter DIR` does the bpf(2)
// calls Node lacks (load, attach with BPF_F_ALLOW_MULTI, detach the previous program; see
// native/device-filter.c), and its one-line failure report becomes a one-line BerthError.

import { spawnSync } from 'node:child_process';
import { constants } from 'node:os';
import { BerthError } from '../../errors.js';
import { locateHelper } from '../../sys/locate-helper.js';
import { cgroupErrnoText } from './fs.js';

const errnoName = (n: number): string | undefined =>
  Object.entries(constants.errno).find(([, v]) => v === n)?.[0];

const MORE_TEXT: Record<string, string> = { EBADF: 'bad file descriptor', ENOSYS: 'function not implemented', EFAULT: 'bad address' };

function reason(step: string, code: string | undefined, detail: string): string {
  const text = (code !== undefined ? MORE_TEXT[code] : undefined) ?? cgroupErrnoText(code);
  if (code === 'ENOSYS') return `${text} (the kernel has no bpf(2): needs CONFIG_BPF_SYSCALL)`;
  if (code === 'EPERM' && step === 'load') return `${text} (needs CAP_BPF and CAP_NET_ADMIN, or CAP_SYS_ADMIN)`;
  if (code === 'EPERM' && step === 'attach') return `${text} (needs CAP_NET_ADMIN or CAP_SYS_ADMIN, or a program attached without BPF_F_ALLOW_MULTI is in the way)`;
  if (code === 'EPERM') return `${text} (needs CAP_NET_ADMIN or CAP_SYS_ADMIN)`;
  if (step === 'load' && detail !== '') return `${text}: verifier: ${detail}`;
  if (step === 'load' && code === 'EINVAL') return `${text} (the kernel lacks CONFIG_CGROUP_BPF, or is older than 5.1)`;
  if ((step === 'attach' || step === 'query') && (code === 'EBADF' || code === 'EINVAL')) return `${text} (not a cgroup2 directory, or the kernel lacks CONFIG_CGROUP_BPF)`;
  return detail !== '' ? `${text}: ${detail}` : text;
}

const WHAT: Record<string, (dir: string) => string> = {
  input: () => 'passing the eBPF device filter to berth-nsexec',
  open: (dir) => `opening the cgroup ${dir}`,
  query: (dir) => `querying the eBPF programs attached to ${dir}`,
  load: () => 'loading the eBPF device filter',
  attach: (dir) => `attaching the eBPF device filter to ${dir}`,
  detach: (dir) => `detaching the previous eBPF device filter from ${dir}`,
};

/** Turns the helper's "STEP\tERRNO\tDETAIL" line into the user's error. */
export function deviceFilterError(dir: string, stderr: string, status: number | null): BerthError {
  const line = stderr.split('\n').find((l) => l.includes('\t')) ?? '';
  const [step = '', num = '', detail = ''] = line.split('\t');
  const code = errnoName(Number(num));
  if (!(step in WHAT) || code === undefined) {
    return new BerthError('BERTH_ECGROUP', `cgroup v2 devices: berth-nsexec --device-filter ${dir} failed (status ${status}): ${stderr.trim() || 'no message'}`);
  }
  return new BerthError('BERTH_ECGROUP', `cgroup v2 devices: ${WHAT[step]!(dir)} failed: ${reason(step, code, detail)}`, {
    detail: { path: dir, step, errno: code },
  });
}

/** Loads `program` (struct bpf_insn[]) and attaches it to the cgroup2 directory, replacing the last. */
export function attachDeviceFilter(dir: string, program: Buffer): void {
  const r = spawnSync(locateHelper(), ['--device-filter', dir], { input: program, stdio: ['pipe', 'ignore', 'pipe'], encoding: 'utf8' });
  if (r.error) throw new BerthError('BERTH_ECGROUP', `cgroup v2 devices: running berth-nsexec --device-filter: ${r.error.message}`, { cause: r.error });
  if (r.status !== 0) throw deviceFilterError(dir, r.stderr ?? '', r.status);
}
