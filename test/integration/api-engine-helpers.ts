// `berth system service` over the real engine, for the API tests with real clients: its own
// process (as users run it), a temp socket, a private --root/--run-root, and the default network
// made in advance on a test bridge and subnet so nothing touches berth0 or the host's networks.
// `stop()` removes what the clients made (containers, volumes, networks, images), kills the
// service by pid and tears the network state down.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNetwork } from '../../src/network/networks.js';
import { ENTRY, rootPrivileged } from '../helpers/engine-cli.js';
import { DOCKER } from './api-helpers.js';
import { iptablesChains, PLUGINS, teardown, type TestEnv } from './network-helpers.js';

export const skipEngineApi: string | false = !rootPrivileged() ? 'needs root'
  : !existsSync(join(PLUGINS, 'bridge')) ? 'needs containernetworking-plugins'
    : false;

export interface EngineService {
  sock: string;
  base: string;
  root: string;
  runRoot: string;
  env: NodeJS.ProcessEnv;
  /** The service's stderr so far (for failure messages). */
  log(): string;
  berth(args: string[]): { status: number; stdout: string; stderr: string };
  stop(): Promise<void>;
}

function ping(sock: string): Promise<boolean> {
  return new Promise((resolve) => {
    const r = request({ socketPath: sock, path: '/_ping', method: 'GET' }, (res) => { res.resume(); resolve(res.statusCode === 200); });
    r.on('error', () => resolve(false));
    r.setTimeout(1000, () => r.destroy());
    r.end();
  });
}

/**
 * `tag` names the temp dir; `bridges[0]` carries the default network on `subnet` (a /24 of
 * 10.217.0.0/16); the others are bridges the test's own networks use (removed at the end too).
 */
export async function startEngineService(tag: string, opts: { bridges: string[]; subnet: string }): Promise<EngineService> {
  for (const b of opts.bridges) if (existsSync(`/sys/class/net/${b}`)) throw new Error(`${b} exists: a previous run did not clean up`);
  const base = mkdtempSync(join(tmpdir(), `berth-api-${tag}-`));
  const root = join(base, 'root');
  const runRoot = join(base, 'run');
  const sock = join(base, 'api.sock');
  const netEnv: TestEnv = {
    dir: base,
    ctx: { root, runRoot, pluginDirs: [PLUGINS], defaultBridge: opts.bridges[0]!, timeoutMs: 30_000 },
    forward: readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim(),
    chainsBefore: iptablesChains(),
  };
  await createNetwork(netEnv.ctx, { name: 'berth', bridge: opts.bridges[0]!, subnet: opts.subnet, dns: false });
  const env: NodeJS.ProcessEnv = { ...process.env, BERTH_CLI: ENTRY, DOCKER_HOST: `unix://${sock}`, DOCKER_CONFIG: join(base, 'docker-config'), DOCKER_CLI_HINTS: 'false' };
  delete env.BERTH_TRACE;
  const child: ChildProcess = spawn(process.execPath, [ENTRY, '--root', root, '--run-root', runRoot, 'system', 'service', '--socket', sock, '--timeout', '0'], {
    env, stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr!.on('data', (b: Buffer) => { log += b.toString(); });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  for (let i = 0; i < 200 && !(await ping(sock)); i++) {
    if (child.exitCode !== null) throw new Error(`berth system service exited: ${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const berth = (args: string[]): { status: number; stdout: string; stderr: string } => {
    const r = spawnSync(process.execPath, [ENTRY, '--root', root, '--run-root', runRoot, ...args], { encoding: 'utf8', env, input: '', timeout: 60_000 });
    return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  };
  const lines = (r: { stdout: string }): string[] => r.stdout.split('\n').filter((x) => x !== '');
  return {
    sock, base, root, runRoot, env, berth,
    log: () => log,
    async stop() {
      const d = (args: string[]): ReturnType<typeof berth> => {
        const r = spawnSync(DOCKER, args, { encoding: 'utf8', env, timeout: 60_000 });
        return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
      };
      // Through the API while it runs, so its own bookkeeping (exit watchers) ends cleanly.
      const ids = lines(d(['ps', '-aq']));
      if (ids.length > 0) d(['rm', '-f', '-v', ...ids]);
      if (child.exitCode === null && child.pid !== undefined) {
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      // What the API could not remove (or a client left behind) goes with the CLI.
      const left = lines(berth(['ps', '-aq']));
      if (left.length > 0) berth(['rm', '-f', '-v', ...left]);
      const vols = lines(berth(['volume', 'ls', '-q']));
      if (vols.length > 0) berth(['volume', 'rm', '-f', ...vols]);
      await teardown(netEnv, opts.bridges);
      if (existsSync(base) && !readFileSync('/proc/self/mountinfo', 'utf8').includes(base)) rmSync(base, { recursive: true, force: true });
    },
  };
}
