// The host-side system calls Node lacks, made by `berth-nsexec --sys` (native/sys-ops.c): mount,
// umount2 and a new network namespace bound to a file. One exec carries a list of operations, so
// a bind mount and its read-only remount, or a shared directory and a namespace in it, cost one
// process. Spawning mount(8), unshare(1) and nsenter(1) instead was ~25 ms of every `berth run`.
//
// Callers hold a `Sys`: `nativeSys` for the real thing, `RecordingSys` in unit tests of the logic
// that decides which calls to make.
import { execFile } from 'node:child_process';
import { getSystemErrorMap } from 'node:util';
import { locateHelper } from './locate-helper.js';

export type SysOp =
  | { op: 'mount'; source: string; target: string; fstype: string; flags: bigint; data: string }
  | { op: 'umount'; target: string; flags: number }
  | { op: 'netns'; target: string; loopbackUp: boolean };

export interface Sys {
  /** Runs the operations in order; rejects with a SysCallError at the first that fails. */
  run(ops: readonly SysOp[]): Promise<void>;
}

/** umount2 flags (<sys/mount.h>). */
export const MNT_DETACH = 2;

/** A failed system call: `code` is the errno name (EBUSY), the message names the call and path. */
export class SysCallError extends Error {
  readonly code: string;
  constructor(
    readonly op: SysOp,
    readonly errno: number,
    step: string,
  ) {
    const [name, text] = getSystemErrorMap().get(-errno) ?? [`errno ${errno}`, 'unknown error'];
    super(`${step} ${op.target}: ${text} (${name})`);
    this.name = 'SysCallError';
    this.code = name;
  }
}

export function opArgs(op: SysOp): string[] {
  switch (op.op) {
    case 'mount':
      return ['mount', op.source, op.target, op.fstype, op.flags.toString(), op.data];
    case 'umount':
      return ['umount', op.target, String(op.flags)];
    case 'netns':
      return ['netns', op.target, op.loopbackUp ? '1' : '0'];
  }
}

/** berth-nsexec's failure line, "INDEX\tERRNO\tSTEP". */
export function parseFailure(ops: readonly SysOp[], stderr: string): SysCallError | undefined {
  const m = /^(\d+)\t(\d+)\t(\S+)$/m.exec(stderr);
  if (m === null) return undefined;
  const op = ops[Number(m[1])];
  return op === undefined ? undefined : new SysCallError(op, Number(m[2]), m[3]!);
}

export const nativeSys: Sys = {
  run(ops) {
    if (ops.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      execFile(locateHelper(), ['--sys', ...ops.flatMap(opArgs)], { env: {} }, (err, _stdout, stderr) => {
        if (err === null) return resolve();
        reject(parseFailure(ops, stderr) ?? new Error(`berth-nsexec --sys: ${stderr.trim() || err.message}`));
      });
    });
  },
};

/** For unit tests: records every operation; `fail` decides which one fails, and with what errno. */
export class RecordingSys implements Sys {
  readonly calls: SysOp[] = [];
  constructor(private readonly fail: (op: SysOp) => number | undefined = () => undefined) {}

  run(ops: readonly SysOp[]): Promise<void> {
    for (const op of ops) {
      this.calls.push(op);
      const errno = this.fail(op);
      if (errno !== undefined) return Promise.reject(new SysCallError(op, errno, op.op));
    }
    return Promise.resolve();
  }
}
