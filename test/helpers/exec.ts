// Runs a program and captures what it did. Detached container processes inherit the stdio they are
// given, so a pipe would stay open as long as the container lives: for those, pass `outputFile`.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';

export interface RunResult {
  /** Exit status, or 128 + signal number when killed by a signal (shell convention). */
  code: number;
  signal: NodeJS.Signals | null;
  stdout: string;
  /** With `outputFile`, the file's contents: the program's own messages and any container output. */
  stderr: string;
}

export interface RunOptions {
  input?: string | Buffer;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Send stdout and stderr to this file instead of pipes (for create, exec --detach, run -d). */
  outputFile?: string;
  /** Kill the program (only it, by pid) after this long; a hung runtime must not hang the suite. */
  timeoutMs?: number;
}

export function runProgram(file: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const fd = opts.outputFile === undefined ? undefined : openSync(opts.outputFile, 'a');
    // A detached container keeps its stdin: give it /dev/null rather than a pipe nobody writes.
    const stdin = fd !== undefined && opts.input === undefined ? 'ignore' : 'pipe';
    const child = spawn(file, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: fd === undefined ? 'pipe' : [stdin, fd, fd] });
    if (fd !== undefined) closeSync(fd);
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(opts.input ?? '');
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (opts.outputFile !== undefined) stderr = readFileSync(opts.outputFile, 'utf8');
      const status = code ?? 128 + (signal ? constants.signals[signal] : 0);
      resolve({ code: status, signal, stdout, stderr });
    });
  });
}

/** Quotes one word for /bin/sh. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
