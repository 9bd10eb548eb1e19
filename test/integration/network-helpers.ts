// Shared set-up for the network integration tests: private roots, berthtest* bridges, subnets
// from a test pool checked against the host's routes, a count of everything a network leaves on
// the host, and a teardown that removes all of it. Traffic only ever goes to 127.0.0.1 or to the
// namespaces a test made; test networks forward no DNS upstream (dns.upstreams="").
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reconcileNetworks } from '../../src/network/attach.js';
import { overlaps, parseCidr } from '../../src/network/ipv4.js';
import { removeNetwork } from '../../src/network/networks.js';
import { cniCacheDir, ipamDir, netnsDir, type NetworkContext } from '../../src/network/paths.js';
import { listNetworks, networkDb } from '../../src/network/store.js';
import { closeDb } from '../../src/storage/metadata/db.js';

export const PLUGINS = '/usr/lib/cni';
export const TEST_POOL = '10.213.0.0/16';
/** A test network's option: its DNS server forwards nothing off the host. */
export const NO_UPSTREAMS = { 'dns.upstreams': '' };

export const skipReason: string | false = process.getuid?.() !== 0 ? 'needs root'
  : !existsSync(join(PLUGINS, 'bridge')) ? 'needs containernetworking-plugins'
  : spawnSync('busybox', ['true']).status !== 0 ? 'needs busybox' : false;

export function sh(cmd: string, args: string[]): string {
  return spawnSync(cmd, args, { encoding: 'utf8' }).stdout ?? '';
}

/** Host routes that overlap the test pool, other than our own test bridges'. */
export function poolConflicts(): string[] {
  const pool = parseCidr(TEST_POOL)!;
  const routes = JSON.parse(sh('ip', ['-j', 'route']) || '[]') as Array<{ dst: string; dev?: string }>;
  return routes.filter((r) => r.dst !== 'default' && !r.dev?.startsWith('berthtest'))
    .filter((r) => {
      const c = parseCidr(r.dst.includes('/') ? r.dst : `${r.dst}/32`);
      return c !== undefined && overlaps(c, pool);
    })
    .map((r) => r.dst);
}

export interface TestEnv {
  ctx: NetworkContext;
  dir: string;
  forward: string;
  chainsBefore: Set<string>;
}

export function iptablesChains(): Set<string> {
  const out = new Set<string>();
  let table = '';
  for (const line of sh('iptables-save', []).split('\n')) {
    if (line.startsWith('*')) table = line.slice(1);
    const m = /^:(\S+) /.exec(line);
    if (m) out.add(`${table}/${m[1]}`);
  }
  return out;
}

export function makeEnv(tag: string, defaultBridge: string): TestEnv {
  const dir = mkdtempSync(join(tmpdir(), `berth-${tag}-`));
  return {
    dir,
    ctx: { root: join(dir, 'root'), runRoot: join(dir, 'run'), pluginDirs: [PLUGINS], defaultBridge, subnetPool: TEST_POOL, timeoutMs: 30_000 },
    forward: readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim(),
    chainsBefore: iptablesChains(),
  };
}

/** Undo everything: attachments, networks, DNS daemons, test bridges, new CNI chains, mounts, files. */
export async function teardown(env: TestEnv, bridges: string[]): Promise<void> {
  const { ctx } = env;
  if (existsSync(join(ctx.root, 'berth.db'))) {
    await reconcileNetworks(ctx, []).catch(() => undefined);
    for (const n of listNetworks(networkDb(ctx.root))) await removeNetwork(ctx, n.name, { allowDefault: true }).catch(() => undefined);
    closeDb(ctx.root);
  }
  for (const b of bridges) spawnSync('ip', ['link', 'del', b], { stdio: 'ignore' });
  // Shared chains the plugins create on first use (CNI-HOSTPORT-*, CNI-FORWARD) and leave by design.
  const fresh = [...iptablesChains()].filter((c) => !env.chainsBefore.has(c) && /\/CNI-/.test(c));
  if (fresh.length) {
    let table = '';
    const names = new Set(fresh.map((c) => c.split('/')[1]));
    for (const line of sh('iptables-save', []).split('\n')) {
      if (line.startsWith('*')) table = line.slice(1);
      const m = /^-A (\S+) (.*) -j (\S+)$/.exec(line);
      if (m && names.has(m[3]!) && !names.has(m[1]!)) spawnSync('sh', ['-c', `iptables -w -t ${table} -D ${line.slice(3)}`]);
    }
    for (const c of fresh) spawnSync('iptables', ['-w', '-t', c.split('/')[0]!, '-F', c.split('/')[1]!]);
    for (const c of fresh) spawnSync('iptables', ['-w', '-t', c.split('/')[0]!, '-X', c.split('/')[1]!]);
  }
  writeFileSync('/proc/sys/net/ipv4/ip_forward', env.forward);
  const nsd = netnsDir(ctx.runRoot);
  while (spawnSync('mountpoint', ['-q', nsd]).status === 0) spawnSync('umount', ['--lazy', nsd]);
  rmSync(env.dir, { recursive: true, force: true });
}

export interface HostCounts {
  veths: number;
  links: string[];
  netns: number;
  iptablesRules: number;
  nftLines: number;
  leases: number;
  cache: number;
  dnsDaemons: number;
}

/** Everything a container's network could leak, counted. */
export function hostCounts(ctx: NetworkContext): HostCounts {
  const leases = (() => {
    let n = 0;
    if (!existsSync(ipamDir(ctx.root))) return 0;
    for (const d of readdirSync(ipamDir(ctx.root))) n += readdirSync(join(ipamDir(ctx.root), d)).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f)).length;
    return n;
  })();
  const list = (d: string) => (existsSync(d) ? readdirSync(d) : []);
  return {
    veths: sh('ip', ['-o', 'link', 'show', 'type', 'veth']).split('\n').filter(Boolean).length,
    links: sh('ip', ['-o', 'link', 'show']).split('\n').filter(Boolean).map((l) => l.split(': ')[1]!.split('@')[0]!).sort(),
    netns: list(netnsDir(ctx.runRoot)).length,
    iptablesRules: sh('iptables-save', []).split('\n').filter((l) => l.startsWith('-A ') || l.startsWith(':')).length,
    nftLines: sh('nft', ['list', 'ruleset']).split('\n').filter((l) => l.trim() && !l.trim().startsWith('#')).length,
    leases,
    cache: list(cniCacheDir(ctx.root)).length,
    dnsDaemons: sh('pgrep', ['-f', `state-dir ${ctx.runRoot}/`]).split('\n').filter(Boolean).length,
  };
}

/** Run a command inside a namespace as a container would see it: its own /etc/hosts and resolv.conf. */
export function inContainer(netnsPath: string, files: { hostsFile: string; resolvConf: string }, cmd: string, timeoutMs = 15_000): { code: number | null; out: string } {
  const d = mkdtempSync(join(tmpdir(), 'berth-view-'));
  try {
    writeFileSync(join(d, 'hosts'), files.hostsFile);
    writeFileSync(join(d, 'resolv.conf'), files.resolvConf);
    // unshare -m makes the mounts private to this command: the host's files stay untouched.
    const script = `mount --bind ${d}/hosts /etc/hosts && mount --bind ${d}/resolv.conf /etc/resolv.conf && exec nsenter --net=${netnsPath} sh -c '${cmd.replace(/'/g, "'\\''")}'`;
    const r = spawnSync('unshare', ['-m', 'sh', '-c', script], { encoding: 'utf8', timeout: timeoutMs });
    return { code: r.status, out: (r.stdout ?? '') + (r.stderr ?? '') };
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
}

/** busybox httpd serving `text` inside a namespace. */
export function startHttpd(netnsPath: string, text: string, port = 80): { proc: ChildProcess; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'berth-www-'));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'index.html'), text);
  const proc = spawn('nsenter', [`--net=${netnsPath}`, 'busybox', 'httpd', '-f', '-p', String(port), '-h', dir], { stdio: 'ignore' });
  return { proc, dir };
}

export function stopHttpd(h: { proc: ChildProcess; dir: string }): void {
  h.proc.kill('SIGKILL');
  rmSync(h.dir, { recursive: true, force: true });
}

export function httpGet(host: string, port: number, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = get({ host, port, path: '/', timeout: timeoutMs }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

export async function retry<T>(fn: () => Promise<T>, tries = 40, delayMs = 100): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (i >= tries) throw e;
      await new Promise((r) => setTimeout(r, delayMs));
    }
  }
}
