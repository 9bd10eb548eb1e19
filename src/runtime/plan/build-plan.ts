// Spec → LaunchPlan. Every decision about what the C helper does is taken here; it only carries the
// plan out. Pure apart from a few host facts (bind source kinds, /proc/kcore, the cgroup layout, LSMs),
// each of which has a seam in the options so tests run without root.
import * as fs from 'node:fs';
import { BerthError } from '../../errors.js';
import type { Hook, Process, Spec } from '../../oci/runtime-spec.js';
import { capabilitySets } from './capabilities.js';
import { defaultSymlinks, resolveDevices } from './default-devices.js';
import type { IdMapping, LaunchPlan, StartHook } from './launch-plan.js';
import { MS, PROPAGATION_OPTIONS } from '../../sys/mount-options.js';
import { CLONE_NEW, execJoins, resolveNamespaces } from './namespaces.js';
import { IdmapHolders, resolveMounts, type MountSeams } from './plan-mounts.js';
import { rlimitOps } from './rlimits.js';
import { sysctlOps } from './sysctl.js';

export interface SeccompProgram {
  flags: number;
  program: Buffer;
}

export interface HostSeams extends MountSeams {
  hostHasKcore?: boolean;
  hasAppArmor?: boolean;
  hasSELinux?: boolean;
}

export interface CreatePlanOptions extends HostSeams {
  bundle: string;
  /** For the state that startContainer hooks read. */
  containerId?: string;
  execFifo: string;
  consoleSocket?: string;
  noPivot: boolean;
  preserveFds: number;
  foreground: boolean;
  seccompProgram?: SeccompProgram;
  /** The runtime may write any id map (root on the host), so setgroups(2) stays allowed in the
   * container's user namespace. Defaults to "euid is 0". */
  userNamespacePrivileged?: boolean;
}

export interface ExecPlanOptions extends HostSeams {
  containerPid: number;
  spec: Spec;
  consoleSocket?: string;
  preserveFds?: number;
  foreground?: boolean;
  seccompProgram?: SeccompProgram;
  userNamespacePrivileged?: boolean;
}

export interface PlanResult {
  plan: LaunchPlan;
  warnings: string[];
}

/** runc's default when linux.rootfsPropagation is unset: host mounts still reach the container,
 * nothing the container mounts reaches the host. */
export const DEFAULT_ROOTFS_PROPAGATION = MS.SLAVE | MS.REC;

export function buildCreatePlan(spec: Spec, opts: CreatePlanOptions): PlanResult {
  const warnings: string[] = [];
  const proc = spec.process;
  if (!proc) throw new BerthError('BERTH_ESPEC', 'config.json: process is required to create a container');
  if (!spec.root) throw new BerthError('BERTH_ESPEC', 'config.json: root.path is required');
  const linux = spec.linux ?? {};
  const ns = resolveNamespaces(linux.namespaces);
  const hasUserNs = ns.present.has('user');

  // runc's rule: the namespace must be the container's, new or joined. (CRI sets the pod's hostname
  // in every container that joins the pod's UTS namespace, so "new only" would break Kubernetes.)
  if (spec.hostname && !ns.present.has('uts')) {
    throw new BerthError('BERTH_ESPEC', 'config.json: hostname needs a UTS namespace in linux.namespaces');
  }
  if (spec.domainname && !ns.present.has('uts')) {
    throw new BerthError('BERTH_ESPEC', 'config.json: domainname needs a UTS namespace in linux.namespaces');
  }
  if (linux.intelRdt) throw new BerthError('BERTH_EUNSUPPORTED', 'config.json: linux.intelRdt is not supported');
  if (linux.personality && linux.personality.domain !== 'LINUX') {
    warnings.push(`linux.personality ${linux.personality.domain} is not supported yet; ignored`);
  }

  const newUserNs = ns.created.has('user');
  const idmap = new IdmapHolders(newUserNs && linux.uidMappings?.length && linux.gidMappings?.length
    ? { uidMappings: plainMaps(linux.uidMappings), gidMappings: plainMaps(linux.gidMappings) }
    : undefined);
  const mounts = resolveMounts(spec.mounts, {
    bundle: opts.bundle, newCgroupNs: ns.created.has('cgroup'), seams: opts, idmap,
    sysfsAsBind: ns.created.has('user') && !ns.created.has('network'),
  }, warnings);
  const rootfsIdmap = spec.annotations?.[ROOTFS_IDMAP_ANNOTATION] === 'true' ? rootfsHolder(idmap) : undefined;
  // mknod(2) needs CAP_MKNOD in the initial user namespace, so inside any other user namespace the
  // host's nodes are bound instead, privileged runtime or not (runc does the same).
  const bindFromHost = hasUserNs || privileged(opts.userNamespacePrivileged) === false;
  const devices = mounts.devIsBound ? [] : resolveDevices(linux.devices, { bindFromHost }, warnings);
  const symlinks = mounts.devIsBound ? [] : defaultSymlinks(opts.hostHasKcore ?? fs.existsSync('/proc/kcore'));

  let rootfsPropagation = DEFAULT_ROOTFS_PROPAGATION;
  if (linux.rootfsPropagation) {
    const p = PROPAGATION_OPTIONS.get(linux.rootfsPropagation);
    if (p === undefined) {
      throw new BerthError('BERTH_ESPEC', `config.json: linux.rootfsPropagation: unknown propagation "${linux.rootfsPropagation}"`);
    }
    rootfsPropagation = p;
  }

  if (linux.seccomp && !opts.seccompProgram) {
    throw new BerthError('BERTH_ESECCOMP', 'config.json: linux.seccomp is set but no filter was compiled for it');
  }
  checkTerminal(proc, opts.consoleSocket, opts.foreground);
  lsmWarnings(proc, linux.mountLabel, opts, warnings);

  const hooks = spec.hooks ?? {};
  const plan: LaunchPlan = {
    mode: 'create',
    foreground: opts.foreground,
    cloneFlags: ns.cloneFlags,
    joinNamespaces: ns.joins,
    // Always: the parent joins the cgroup, writes id maps, time offsets and oom_score_adj first.
    waitForGo: true,
    loopbackUp: (ns.cloneFlags & CLONE_NEW.network) !== 0n,
    runHooks: (hooks.prestart?.length ?? 0) + (hooks.createRuntime?.length ?? 0) + (hooks.createContainer?.length ?? 0) > 0,
    usernsHolders: idmap.holders,
    rootfs: spec.root.path,
    rootfsReadonly: spec.root.readonly === true,
    rootfsPropagation,
    noPivot: opts.noPivot,
    mounts: mounts.mounts,
    devices,
    symlinks: [...mounts.symlinks, ...symlinks],
    maskedPaths: [...(linux.maskedPaths ?? [])],
    readonlyPaths: [...(linux.readonlyPaths ?? []), ...mounts.lateReadonly],
    sysctls: sysctlOps(linux.sysctl, ns.present),
    ...processFields(proc, { hasUserNs, privileged: privileged(opts.userNamespacePrivileged) && !rootlessStyleGidMap(spec), seccomp: opts.seccompProgram }, warnings),
    execFifo: opts.execFifo,
    preserveFds: opts.preserveFds,
    syncFd: 3 + opts.preserveFds,
    startHooks: startHooks(hooks.startContainer),
  };
  if (rootfsIdmap !== undefined) plan.rootfsIdmap = rootfsIdmap;
  const offsets = timeNamespaceOffsets(spec);
  if (offsets !== undefined) plan.timeOffsets = offsets;
  if (plan.startHooks.length > 0) plan.hookState = hookState(spec, opts.containerId ?? '', opts.bundle);
  if (spec.hostname) plan.hostname = spec.hostname;
  if (spec.domainname) plan.domainname = spec.domainname;
  if (opts.consoleSocket !== undefined) plan.consoleSocket = opts.consoleSocket;
  return { plan, warnings };
}

export function buildExecPlan(process: Process, opts: ExecPlanOptions): PlanResult {
  const warnings: string[] = [];
  const spec = opts.spec;
  const linux = spec.linux ?? {};
  const hasUserNs = (linux.namespaces ?? []).some((n) => n.type === 'user');
  const foreground = opts.foreground ?? false;
  checkTerminal(process, opts.consoleSocket, foreground);
  lsmWarnings(process, undefined, opts, warnings);
  const preserveFds = opts.preserveFds ?? 0;
  const plan: LaunchPlan = {
    mode: 'exec',
    foreground,
    cloneFlags: 0n,
    joinNamespaces: execJoins(linux.namespaces, opts.containerPid),
    // The parent moves the new process into the container's cgroup before it goes on.
    waitForGo: true,
    loopbackUp: false,
    runHooks: false,
    // The helper reaches the container's root through /proc/PID/root; no rootfs record.
    rootfs: '',
    rootfsReadonly: false,
    rootfsPropagation: 0n,
    noPivot: false,
    mounts: [],
    devices: [],
    symlinks: [],
    maskedPaths: [],
    readonlyPaths: [],
    sysctls: [],
    ...processFields(process, { hasUserNs, privileged: privileged(opts.userNamespacePrivileged) && !rootlessStyleGidMap(spec), seccomp: opts.seccompProgram }, warnings),
    preserveFds,
    syncFd: 3 + preserveFds,
    targetPid: opts.containerPid,
    usernsHolders: [],
    startHooks: [],
  };
  if (opts.consoleSocket !== undefined) plan.consoleSocket = opts.consoleSocket;
  return { plan, warnings };
}

/** Annotation that asks for the rootfs to be id-mapped with the container's own maps, so files owned
 * by host root show as root inside a user namespace (docs/security.md). runc has no equivalent: an
 * engine that uses runc chowns the rootfs instead (src/runtime/userns.ts). */
export const ROOTFS_IDMAP_ANNOTATION = 'dev.berth.rootfs.idmap';

function rootfsHolder(idmap: IdmapHolders): number {
  if (!idmap.containerMaps) {
    throw new BerthError('BERTH_ESPEC', `config.json: annotation ${ROOTFS_IDMAP_ANNOTATION} needs a new user namespace with uidMappings and gidMappings`);
  }
  return idmap.holderFor(idmap.containerMaps);
}

/** A gid map of one id, as an unprivileged user could write: setgroups is denied in that namespace
 * (what the kernel enforces for such writers), so dropping groups cannot bypass a group's denial. */
function rootlessStyleGidMap(spec: Spec): boolean {
  const linux = spec.linux ?? {};
  const newUser = (linux.namespaces ?? []).some((n) => n.type === 'user' && !n.path);
  const g = linux.gidMappings ?? [];
  return newUser && g.length === 1 && g[0]!.size === 1;
}

function startHooks(hooks: readonly Hook[] | undefined): StartHook[] {
  return (hooks ?? []).map((h) => ({
    path: h.path,
    args: h.args && h.args.length > 0 ? [...h.args] : [h.path],
    env: [...(h.env ?? [])],
    timeout: h.timeout && h.timeout > 0 ? h.timeout : 0,
  }));
}

/** The state a startContainer hook reads, split where the C helper puts its own pid (runc reports
 * getpid() in the container, which only the helper knows). */
function hookState(spec: Spec, id: string, bundle: string): { before: string; after: string } {
  const marker = '"pid":0';
  const text = JSON.stringify({ ociVersion: spec.ociVersion, id, status: 'created', pid: 0, bundle, annotations: spec.annotations ?? {} });
  const at = text.indexOf(marker) + '"pid":'.length;
  return { before: text.slice(0, at), after: text.slice(at + 1) };
}

const plainMaps = (ms: readonly { containerID: number; hostID: number; size: number }[]): IdMapping[] =>
  ms.map((x) => ({ containerID: x.containerID, hostID: x.hostID, size: x.size }));

/** The contents for /proc/self/timens_offsets, which stage0 writes before clone. */
export function timeNamespaceOffsets(spec: Spec): string | undefined {
  const to = spec.linux?.timeOffsets;
  if (!to || Object.keys(to).length === 0) return undefined;
  return Object.entries(to).map(([clock, o]) => `${clock} ${o.secs ?? 0} ${o.nanosecs ?? 0}\n`).join('');
}

function privileged(p: boolean | undefined): boolean {
  return p ?? process.geteuid?.() === 0;
}

type ProcessFields = Pick<LaunchPlan,
  'user' | 'setgroups' | 'cwd' | 'env' | 'args' | 'terminal' | 'rlimits' | 'noNewPrivileges'> &
  Partial<Pick<LaunchPlan, 'capabilities' | 'consoleSize' | 'seccomp'>>;

function processFields(
  proc: Process,
  ctx: { hasUserNs: boolean; privileged: boolean; seccomp: SeccompProgram | undefined },
  warnings: string[],
): ProcessFields {
  // An unprivileged runtime can only write a gid map after denying setgroups in the namespace.
  const setgroups = !(ctx.hasUserNs && !ctx.privileged);
  const additionalGids = [...(proc.user?.additionalGids ?? [])];
  if (!setgroups && additionalGids.length > 0) {
    warnings.push('process.user.additionalGids ignored: setgroups is denied in this user namespace');
  }
  const user: LaunchPlan['user'] = { uid: proc.user?.uid ?? 0, gid: proc.user?.gid ?? 0, additionalGids };
  // Unset leaves the umask the helper inherited, as runc does.
  if (proc.user?.umask !== undefined) user.umask = proc.user.umask;
  if (proc.scheduler) warnings.push('process.scheduler is not supported yet; ignored');
  if (proc.ioPriority) warnings.push('process.ioPriority is not supported yet; ignored');
  if (proc.execCPUAffinity) warnings.push('process.execCPUAffinity is not supported yet; ignored');

  const out: ProcessFields = {
    user,
    setgroups,
    cwd: proc.cwd,
    env: [...(proc.env ?? [])],
    args: [...(proc.args ?? [])],
    terminal: proc.terminal === true,
    rlimits: rlimitOps(proc.rlimits),
    noNewPrivileges: proc.noNewPrivileges === true,
  };
  // Without process.capabilities the process keeps what it has, as with runc.
  if (proc.capabilities) out.capabilities = capabilitySets(proc.capabilities, warnings);
  if (proc.consoleSize) out.consoleSize = { rows: proc.consoleSize.height, cols: proc.consoleSize.width };
  if (ctx.seccomp) out.seccomp = ctx.seccomp;
  return out;
}

/** runc's rules: a detached terminal needs a socket to hand the pty to, and a socket is only
 * meaningful for a detached terminal. */
function checkTerminal(proc: Process, consoleSocket: string | undefined, foreground: boolean): void {
  const terminal = proc.terminal === true;
  if (terminal && !foreground && !consoleSocket) {
    throw new BerthError('BERTH_EINVAL', 'cannot allocate a tty if the container is detached without --console-socket');
  }
  if (consoleSocket && (!terminal || foreground)) {
    throw new BerthError('BERTH_EINVAL', '--console-socket needs process.terminal and a detached container');
  }
}

function lsmWarnings(proc: Process, mountLabel: string | undefined, seams: HostSeams, warnings: string[]): void {
  if (proc.apparmorProfile) {
    const has = seams.hasAppArmor ?? fs.existsSync('/sys/kernel/security/apparmor');
    warnings.push(`process.apparmorProfile "${proc.apparmorProfile}" ignored: ${has ? 'berth does not apply AppArmor profiles yet' : 'this host has no AppArmor'}`);
  }
  const selinux = seams.hasSELinux ?? fs.existsSync('/sys/fs/selinux/enforce');
  const why = selinux ? 'berth does not apply SELinux labels yet' : 'this host has no SELinux';
  if (proc.selinuxLabel) warnings.push(`process.selinuxLabel ignored: ${why}`);
  if (mountLabel) warnings.push(`linux.mountLabel ignored: ${why}`);
}
