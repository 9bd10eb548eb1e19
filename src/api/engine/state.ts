// What the engine adapter's modules share: the engine handle, the event journal, the exec table and
// the attach sessions waiting for a start. One instance per `berth system service`.
import { BerthError } from '../../errors.js';
import type { Engine } from '../../engine/engine.js';
import type { ContainerRecord } from '../../engine/records.js';
import { lookup } from '../../engine/state.js';
import { containerAttributes, EventJournal } from './events.js';

/** A client attached to a container that has not started yet: connected by the start hook. */
export interface PendingAttach {
  connect(attachSocket: string): Promise<void>;
  cancel(): void;
}

export interface ExecRecord {
  id: string;
  containerId: string;
  cmd: string[];
  tty: boolean;
  openStdin: boolean;
  openStdout: boolean;
  openStderr: boolean;
  user: string;
  workingDir?: string;
  env: string[];
  privileged: boolean;
  detachKeys: string;
  running: boolean;
  exitCode: number | null;
  pid: number;
  started: boolean;
  createdAt: number;
}

export class EngineApi {
  readonly journal: EventJournal;
  readonly execs = new Map<string, ExecRecord>();
  readonly pendingAttach = new Map<string, Set<PendingAttach>>();
  /** Containers whose current run this service started and whose exit it must handle. */
  readonly owned = new Map<string, { stop(): void }>();

  constructor(readonly engine: Engine) {
    this.journal = new EventJournal(engine.paths.root);
  }

  /** A reconciled record; docker's wording for a miss, which clients match on. */
  async find(ref: string): Promise<ContainerRecord> {
    try {
      return await lookup(this.engine, ref);
    } catch (e) {
      throw dockerContainerError(e, ref);
    }
  }

  /** Without reconcile: for reads that must not block on the runtime. */
  findQuick(ref: string): ContainerRecord {
    try {
      return this.engine.find(ref);
    } catch (e) {
      throw dockerContainerError(e, ref);
    }
  }

  containerEvent(rec: ContainerRecord, action: string, extra: Record<string, string> = {}): void {
    const labels = { ...rec.config.resolved.imageLabels, ...rec.config.request.labels };
    this.journal.emit('container', action, rec.id, containerAttributes(rec.imageName, rec.name, labels, extra));
  }
}

export function dockerContainerError(e: unknown, ref: string): unknown {
  if (e instanceof BerthError && e.code === 'BERTH_ENOTFOUND') return new BerthError('BERTH_ENOTFOUND', `No such container: ${ref}`, { cause: e });
  return e;
}

/** The engine's ESTATE/EEXIST errors are docker's 409s; the wording stays the engine's. */
export function conflict(e: unknown): unknown {
  if (e instanceof BerthError && e.code === 'BERTH_EEXIST') return new BerthError('BERTH_ECONFLICT', e.message, { cause: e });
  return e;
}
