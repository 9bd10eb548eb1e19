// A container as the runtime sees it: its stored state, its live status, and the status guards
// that every verb checks before acting.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BerthError } from '../../errors.js';
import { isSameProcessAlive } from '../proc.js';
import type { StoredState } from '../state/container-state.js';
import { storeOf, type RuntimeContext } from './context.js';
import { openCgroupManager, type CgroupManager } from '../cgroups/index.js';
import type { Spec } from '../../oci/runtime-spec.js';

export type Status = 'creating' | 'created' | 'running' | 'paused' | 'stopped';

export class Container {
  private cg: CgroupManager | undefined;

  constructor(readonly ctx: RuntimeContext, readonly state: StoredState) {}

  static load(ctx: RuntimeContext, id: string): Container {
    return new Container(ctx, storeOf(ctx).read(id));
  }

  get id(): string { return this.state.id; }
  get dir(): string { return storeOf(this.ctx).dir(this.state.id); }
  get fifoPath(): string { return join(this.dir, 'exec.fifo'); }

  spec(): Spec {
    return JSON.parse(readFileSync(this.state.configPath, 'utf8')) as Spec;
  }

  cgroup(): CgroupManager {
    this.cg ??= openCgroupManager({
      cgroupsPath: this.state.cgroupsPath,
      id: this.state.id,
      version: this.state.cgroupVersion,
      root: this.ctx.cgroupRoot,
    });
    return this.cg;
  }

  isAlive(): boolean {
    return this.state.pid > 0 && isSameProcessAlive(this.state.pid, this.state.pidStartTime);
  }

  status(): Status {
    if (!this.isAlive()) return 'stopped';
    if (!this.state.started && existsSync(this.fifoPath)) return 'created';
    try {
      if (this.cgroup().isFrozen()) return 'paused';
    } catch { /* no freezer: cannot be paused */ }
    return 'running';
  }

  /** The state as runtime-spec runtime.md defines it (plus runc's extra fields). */
  publicState(): Record<string, unknown> {
    const status = this.status();
    return {
      ociVersion: this.state.ociVersion,
      id: this.state.id,
      pid: status === 'stopped' ? 0 : this.state.pid,
      status,
      bundle: this.state.bundle,
      rootfs: this.state.rootfs,
      created: this.state.created,
      owner: this.state.owner,
      annotations: this.state.annotations,
    };
  }

  /** The state handed to hooks on stdin. */
  hookState(status: Status): Record<string, unknown> {
    return {
      ociVersion: this.state.ociVersion,
      id: this.state.id,
      status,
      pid: this.state.pid,
      bundle: this.state.bundle,
      annotations: this.state.annotations,
    };
  }

  require(verb: string, allowed: Status[]): Status {
    const status = this.status();
    if (!allowed.includes(status)) {
      throw new BerthError('BERTH_ESTATE', `cannot ${verb} container "${this.id}": it is ${status}`);
    }
    return status;
  }
}

/** destroy() already waits for processes to leave; a cgroup that stays busy is logged, not fatal. */
export function destroyCgroupQuietly(cgroup: CgroupManager, logger?: { warn(m: string): void }): void {
  try {
    cgroup.destroy();
  } catch (e) {
    logger?.warn((e as Error).message);
  }
}
