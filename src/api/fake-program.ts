// What a container "runs" in the fake backend: a tiny interpreter for the commands tests use
// (echo, cat, sleep, yes, exit, sh -c "a; b") so that clients see output, stdin and exit codes
// without a kernel. `sh` with no script runs the lines it reads on stdin.
import { setTimeout as sleep } from 'node:timers/promises';

export interface ProgramIo {
  /** Resolves when the output is taken (an attached reader that is slow slows the program). */
  out(stream: 'stdout' | 'stderr', data: string): Promise<void>;
  /** Stdin chunks; ends at EOF (or at once when stdin is not open). */
  stdin: AsyncIterable<Buffer>;
  env: string[];
  hostname: string;
  /** Aborts with the signal number when the program is signalled. */
  signal: AbortSignal;
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGUSR1: 10, SIGUSR2: 12, SIGTERM: 15 };

export function signalNumber(sig: string): number {
  if (/^\d+$/.test(sig)) return Number(sig);
  const s = sig.toUpperCase();
  const n = SIGNALS[s.startsWith('SIG') ? s : `SIG${s}`];
  if (n === undefined) throw new Error(`invalid signal: ${sig}`);
  return n;
}

/** Splits a statement into words, honouring single and double quotes. */
function words(stmt: string): string[] {
  const out: string[] = [];
  const re = /'([^']*)'|"([^"]*)"|(\S+)/g;
  let m;
  while ((m = re.exec(stmt)) !== null) out.push(m[1] ?? m[2] ?? m[3]!);
  return out;
}

class Exit { constructor(readonly code: number) {} }

async function runWords(argv: string[], io: ProgramIo): Promise<number> {
  let toErr = false;
  const args = argv.filter((a) => { if (a === '>&2' || a === '1>&2') { toErr = true; return false; } return true; });
  const [cmd, ...rest] = args;
  const out = (s: string): Promise<void> => io.out(toErr ? 'stderr' : 'stdout', s);
  switch (cmd) {
    case undefined: return 0;
    case 'echo': await out(rest.join(' ') + '\n'); return 0;
    case 'true': return 0;
    case 'false': return 1;
    case 'exit': throw new Exit(Number(rest[0] ?? 0));
    case 'hostname': await out(io.hostname + '\n'); return 0;
    case 'env': case 'printenv':
      await out(io.env.map((e) => e + '\n').join('')); return 0;
    case 'sleep': {
      const secs = rest[0] === 'infinity' ? Infinity : Number(rest[0] ?? 0);
      if (secs === Infinity) await new Promise<void>((resolve) => io.signal.addEventListener('abort', () => resolve(), { once: true }));
      else await sleep(secs * 1000, undefined, { signal: io.signal }).catch(() => {});
      return 0;
    }
    case 'cat':
      for await (const chunk of io.stdin) await out(chunk.toString('utf8'));
      return 0;
    case 'yes': {
      const line = (rest.length ? rest.join(' ') : 'y') + '\n';
      while (!io.signal.aborted) {
        await out(line);
        // Yield to the event loop so a program that never blocks cannot starve the server.
        await new Promise((r) => setImmediate(r));
      }
      return 0;
    }
    case 'sh': case '/bin/sh':
      if (rest[0] === '-c') return runScript(rest[1] ?? '', io);
      return runInteractive(io);
    default:
      await io.out('stderr', `sh: ${cmd}: not found\n`);
      return 127;
  }
}

async function runScript(script: string, io: ProgramIo): Promise<number> {
  let code = 0;
  for (const stmt of script.split(/;|\n|&&/)) {
    if (io.signal.aborted) break;
    code = await runWords(words(stmt.trim()), io);
  }
  return code;
}

async function runInteractive(io: ProgramIo): Promise<number> {
  let pending = '';
  let code = 0;
  for await (const chunk of io.stdin) {
    pending += chunk.toString('utf8');
    let nl;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl).replace(/\r$/, '');
      pending = pending.slice(nl + 1);
      code = await runScript(line, io);
    }
  }
  return code;
}

/** Runs argv to its exit code; a signal ends it with 128 + the signal number, as a shell reports. */
export async function runProgram(argv: string[], io: ProgramIo): Promise<number> {
  const killed = new Promise<number>((resolve) => {
    const onAbort = (): void => resolve(128 + Number(io.signal.reason ?? 9));
    if (io.signal.aborted) onAbort(); else io.signal.addEventListener('abort', onAbort, { once: true });
  });
  const ran = (async () => {
    try { return await runWords(argv, io); } catch (e) { if (e instanceof Exit) return e.code; throw e; }
  })();
  return Promise.race([ran, killed]);
}
