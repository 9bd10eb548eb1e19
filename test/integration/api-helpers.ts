// Helpers for the API integration tests: a fake-backed service on a temp socket, the real docker
// CLI pointed at it, and `berth system service` run as its own process.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FakeBackend } from '../../src/api/fake-backend.js';
import { startService, type Service } from '../../src/api/server.js';

export const DOCKER = '/usr/local/bin/docker';
export const haveDocker = existsSync(DOCKER);

export interface Served { svc: Service; backend: FakeBackend; sock: string; requests: string[]; dir: string }

export async function serveFake(): Promise<Served> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-api-it-'));
  const sock = join(dir, 'berth.sock');
  const backend = new FakeBackend();
  const requests: string[] = [];
  const svc = await startService({ backend, socket: sock, log: (l) => requests.push(l) });
  return { svc, backend, sock, requests, dir };
}

export interface Run { code: number; stdout: string; stderr: string }

/** Runs the docker CLI against `sock` without blocking the event loop (the server lives in this process). */
export function docker(sock: string, args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(DOCKER, args, {
      env: { ...process.env, DOCKER_HOST: `unix://${sock}`, DOCKER_CONFIG: join(dirname(sock), 'docker-config'), DOCKER_CLI_HINTS: 'false' },
      timeout: opts.timeoutMs ?? 20_000,
    }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 255) : 0;
      resolve({ code, stdout, stderr });
    });
    if (opts.input !== undefined) child.stdin!.end(opts.input);
    else child.stdin!.end();
  });
}

/** docker started in the background (logs -f, events), to be killed by the test. */
export function dockerBackground(sock: string, args: string[]): ChildProcess {
  return spawn(DOCKER, args, {
    env: { ...process.env, DOCKER_HOST: `unix://${sock}`, DOCKER_CONFIG: join(dirname(sock), 'docker-config') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

const buildRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** `berth system service ARGS` as a child process (through api-commands.ts, so before main.ts wires the verb). */
export function spawnService(args: string[]): ChildProcess {
  const cmds = join(buildRoot, 'src', 'cli', 'berth', 'api-commands.js');
  const argsJs = join(buildRoot, 'src', 'cli', 'args.js');
  const script = `
    const { apiCommands } = await import(${JSON.stringify(cmds)});
    const { parseArgs } = await import(${JSON.stringify(argsJs)});
    const cmd = await apiCommands['system service']();
    try {
      const p = parseArgs(process.argv.slice(1), cmd.flags);
      process.exitCode = await cmd.run({ root: '/nonexistent', runRoot: '/nonexistent', debug: false }, p);
    } catch (e) { process.stderr.write('berth: ' + e.message + '\\n'); process.exitCode = 125; }
  `;
  return spawn(process.execPath, ['--input-type=module', '-e', script, '--', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

export function collect(child: ChildProcess): { out: () => string; exited: Promise<number | null> } {
  let out = '';
  child.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr?.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { out: () => out, exited };
}

export async function waitUntil(cond: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}
