// Where the runtime's warnings and errors go: the --log file (text or json lines, as containerd and
// conmon read them from runc) and, for warnings without a log file, stderr.
import { appendFileSync } from 'node:fs';

export type LogLevel = 'debug' | 'info' | 'warning' | 'error';

export interface Logger {
  debug(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export function createLogger(opts: { path?: string; format?: 'text' | 'json'; debug?: boolean; prefix?: string }): Logger {
  const prefix = opts.prefix ?? 'berth-runtime';
  const write = (level: LogLevel, msg: string) => {
    if (opts.path) {
      const time = new Date().toISOString();
      const line = opts.format === 'json'
        ? JSON.stringify({ level, msg, time }) + '\n'
        : `time="${time}" level=${level} msg=${JSON.stringify(msg)}\n`;
      try { appendFileSync(opts.path, line); } catch { /* logging must never fail the operation */ }
    }
  };
  return {
    debug(msg) { if (opts.debug) { write('debug', msg); if (!opts.path) process.stderr.write(`${prefix}: debug: ${msg}\n`); } },
    warn(msg) { write('warning', msg); if (!opts.path) process.stderr.write(`${prefix}: warning: ${msg}\n`); },
    error(msg) { write('error', msg); },
  };
}

export const silentLogger: Logger = { debug() {}, warn() {}, error() {} };
