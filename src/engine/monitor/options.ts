// The engine's side of berth-monitor's command-line contract (documented in native/monitor/monitor.h).
// Building argv is pure so the contract is unit-tested without spawning anything.
import { isAbsolute } from 'node:path';
import { BerthError } from '../../errors.js';

export interface CommandSpec {
  path: string;
  args?: string[];
}

export interface MonitorOptions {
  id: string;
  bundle: string;
  /**
   * Runtime binary; a bare name is looked up in PATH by the monitor. With execHelper it only names
   * the runtime that keeps the container's state (the monitor does not run it).
   */
  runtime: string;
  /** Global runtime flags placed before `create`, e.g. ['--root', dir]. */
  runtimeArgs?: string[];
  logPath: string;
  /** Rotate before the log would exceed this many bytes; 0 or absent = never. */
  logMaxSize?: number;
  /** Files kept including the live one (FILE, FILE.1 … FILE.(N-1)); default 1. */
  logMaxFiles?: number;
  attachSocket: string;
  exitFile: string;
  pidFile: string;
  terminal?: boolean;
  stdin?: boolean;
  exitCommand?: CommandSpec;
  health?: CommandSpec & { intervalMs: number };
  /**
   * Helper mode: the monitor spawns this berth-nsexec (with the caller's socket as its fd 3)
   * instead of `RUNTIME create`, and the caller creates the container in-process.
   */
  execHelper?: string;
}

/** The control socket that takes `resize ROWS COLS` and `close-stdin`. */
export function controlSocketPath(attachSocket: string): string {
  return `${attachSocket}.ctl`;
}

const MAX_LIST = 32; // MAX_LIST_ARGS in monitor.h
const SUN_PATH_MAX = 107; // sun_path minus its NUL
const LONGEST_SUFFIX = '.console'.length;

function invalid(msg: string): BerthError {
  return new BerthError('BERTH_EINVAL', `monitor options: ${msg}`);
}

function requireAbsolute(name: string, value: string): void {
  if (!isAbsolute(value)) throw invalid(`${name} must be an absolute path, got "${value}"`);
}

function requireInt(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) throw invalid(`${name} must be an integer >= ${min}, got ${value}`);
}

function list(name: string, flag: string, values: string[] | undefined): string[] {
  const v = values ?? [];
  if (v.length > MAX_LIST) throw invalid(`at most ${MAX_LIST} ${name}`);
  return v.flatMap((a) => [flag, a]);
}

/**
 * argv (without argv[0]) for berth-monitor; `syncFd` is the fd the readiness line goes to and, with
 * execHelper, `helperFd` the one that becomes the helper's fd 3.
 */
export function buildMonitorArgs(o: MonitorOptions, syncFd?: number, helperFd?: number): string[] {
  if (o.id === '' || o.runtime === '') throw invalid('id and runtime must not be empty');
  requireAbsolute('bundle', o.bundle);
  requireAbsolute('logPath', o.logPath);
  requireAbsolute('attachSocket', o.attachSocket);
  requireAbsolute('exitFile', o.exitFile);
  requireAbsolute('pidFile', o.pidFile);
  if (Buffer.byteLength(o.attachSocket) + LONGEST_SUFFIX > SUN_PATH_MAX) {
    throw invalid(`attachSocket is too long for a unix socket: ${o.attachSocket}`);
  }
  const args = ['--id', o.id, '--bundle', o.bundle, '--runtime', o.runtime, ...list('runtime args', '--runtime-arg', o.runtimeArgs)];
  args.push('--log-path', o.logPath);
  if (o.logMaxSize !== undefined) {
    requireInt('logMaxSize', o.logMaxSize, 0);
    args.push('--log-max-size', String(o.logMaxSize));
  }
  if (o.logMaxFiles !== undefined) {
    requireInt('logMaxFiles', o.logMaxFiles, 1);
    args.push('--log-max-files', String(o.logMaxFiles));
  }
  args.push('--attach-socket', o.attachSocket, '--exit-file', o.exitFile, '--pid-file', o.pidFile);
  if (o.terminal === true) args.push('--terminal');
  if (o.stdin === true) args.push('--stdin');
  if (o.exitCommand !== undefined) {
    args.push('--exit-command', o.exitCommand.path, ...list('exit command args', '--exit-command-arg', o.exitCommand.args));
  }
  if (o.health !== undefined) {
    requireInt('health.intervalMs', o.health.intervalMs, 1);
    args.push('--health-interval-ms', String(o.health.intervalMs), '--health-command', o.health.path);
    args.push(...list('health command args', '--health-command-arg', o.health.args));
  }
  if (syncFd !== undefined) args.push('--sync-fd', String(syncFd));
  if (o.execHelper !== undefined) {
    requireAbsolute('execHelper', o.execHelper);
    // the pid line arrives on the sync fd, and fds 0-2 are the helper's stdio
    if (syncFd === undefined || helperFd === undefined || helperFd < 3 || helperFd === syncFd) {
      throw invalid('execHelper needs a sync fd and a distinct helper fd >= 3');
    }
    args.push('--exec-helper', o.execHelper, '--helper-fd', String(helperFd));
  }
  return args;
}
