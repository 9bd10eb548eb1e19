// The CNI client with Debian's real plugins on a private bridge, in namespaces this test creates.
// Needs root. Traffic goes only between the test's namespaces and to 127.0.0.1. Everything the
// plugins leave behind by design (the bridge, top-level iptables chains, ip_forward) is undone
// here; what DEL must remove is asserted to be gone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CniClient } from './cni/client.js';
import { parseConfList } from './cni/conflist-load.js';
import { generateConfList, pickSubnet, readHostRoutes } from './conflist.js';
import { createNetns, deleteNetns, execInNetns } from './netns.js';
import { DnsServer } from './dns/server.js';
import { isBerthError } from '../errors.js';

const PLUGINS = '/usr/lib/cni';
const skip = process.getuid?.() !== 0 ? 'needs root' : !existsSync(join(PLUGINS, 'bridge')) ? 'needs containernetworking-plugins' : false;

function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.stdout ?? '';
}

const vethCount = (): number => sh('ip', ['-o', 'link', 'show', 'type', 'veth']).split('\n').filter(Boolean).length;
const linkExists = (name: string): boolean => spawnSync('ip', ['link', 'show', name], { stdio: 'ignore' }).status === 0;
const iptablesSave = (): string => sh('iptables-save', []);
const readSysctl = (p: string): string => readFileSync(`/proc/sys/${p}`, 'utf8').trim();

function chains(save: string): Map<string, string> {
  // chain name -> table
  const out = new Map<string, string>();
  let table = '';
  for (const line of save.split('\n')) {
    if (line.startsWith('*')) table = line.slice(1);
    const m = /^:(\S+) /.exec(line);
    if (m) out.set(m[1]!, table);
  }
  return out;
}

/** Remove iptables chains named CNI-* that appeared during the test, and the jumps into them. */
function removeNewCniChains(before: Map<string, string>): void {
  const now = chains(iptablesSave());
  const fresh = [...now].filter(([name]) => name.startsWith('CNI-') && !before.has(name));
  if (fresh.length === 0) return;
  const names = new Set(fresh.map(([n]) => n));
  let table = '';
  for (const line of iptablesSave().split('\n')) {
    if (line.startsWith('*')) table = line.slice(1);
    const m = /^-A (\S+) (.*) -j (\S+)/.exec(line);
    if (m && names.has(m[3]!) && !names.has(m[1]!)) {
      spawnSync('iptables', ['-t', table, '-D', ...splitRule(line.slice(3))]);
    }
  }
  for (const [name, t] of fresh) spawnSync('iptables', ['-t', t, '-F', name]);
  for (const [name, t] of fresh) spawnSync('iptables', ['-t', t, '-X', name]);
}

// iptables-save quotes arguments with spaces (comments); split like a shell would.
function splitRule(rule: string): string[] {
  return [...rule.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)].map((m) => (m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!));
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

function fetchLine(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port });
    let data = '';
    s.setTimeout(2000, () => s.destroy(new Error('timeout')));
    s.on('data', (b) => (data += b.toString()));
    s.on('end', () => resolve(data));
    s.on('error', reject);
  });
}

async function retry<T>(fn: () => Promise<T>, tries = 30, delayMs = 100): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (i >= tries) throw e;
      await new Promise((r) => setTimeout(r, delayMs));
    }
  }
}

test('real plugins: two containers on a bridge, ping, CHECK, portmap, bandwidth, DEL cleans up', { skip, timeout: 120_000 }, async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'berth-cni-it-'));
  const netnsDir = join(work, 'netns');
  const dataDir = join(work, 'ipam');
  const cacheDir = join(work, 'cache');
  const bridge = 'berthtest0';
  assert.ok(!linkExists(bridge), `${bridge} exists already; a previous run did not clean up`);
  const subnet = pickSubnet([], await readHostRoutes(), { pool: '10.213.0.0/16' });
  const conf = generateConfList({ name: 'berthtest', bridge, subnet, gateway: '', internal: false, ipMasq: true }, { ipamDataDir: dataDir });
  const client = new CniClient(conf, { pluginDirs: [PLUGINS], cacheDir, timeoutMs: 30_000 });

  const before = { veths: vethCount(), save: iptablesSave(), forward: readSysctl('net/ipv4/ip_forward') };
  const beforeChains = chains(before.save);
  const ns: string[] = [];
  let server: ChildProcess | undefined;
  try {
    await client.validate();
    const nsA = await createNetns('berthtest-a', { dir: netnsDir });
    ns.push(nsA);
    const nsB = await createNetns('berthtest-b', { dir: netnsDir });
    ns.push(nsB);
    const hostPort = await freePort();

    const a = await client.add(nsA, 'berthtest-a', 'eth0');
    const b = await client.add(nsB, 'berthtest-b', 'eth0', {
      capabilityArgs: {
        portMappings: [{ hostPort, containerPort: 8080, protocol: 'tcp' }],
        bandwidth: { ingressRate: 100_000_000, ingressBurst: 1_000_000, egressRate: 100_000_000, egressBurst: 1_000_000 },
      },
    });
    const ipA = a.result.ips![0]!.address.split('/')[0]!;
    const ipB = b.result.ips![0]!.address.split('/')[0]!;
    assert.notEqual(ipA, ipB);
    assert.equal(a.result.ips![0]!.gateway, conf.plugins[0]!.ipam && (conf.plugins[0]!.ipam as { ranges: Array<Array<{ gateway: string }>> }).ranges[0]![0]!.gateway);
    assert.equal(vethCount(), before.veths + 2);
    assert.equal(readdirSync(join(dataDir, 'berthtest')).filter((f) => /^\d/.test(f)).length, 2, 'two leases');

    await t.test('ping between the two namespaces', async () => {
      const r = await execInNetns(nsA, ['busybox', 'ping', '-c1', '-W2', ipB], { timeoutMs: 10_000 });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const r2 = await execInNetns(nsB, ['busybox', 'ping', '-c1', '-W2', ipA], { timeoutMs: 10_000 });
      assert.equal(r2.code, 0, r2.stdout + r2.stderr);
    });

    await t.test('DNS: busybox nslookup in A finds B by name through the server on the gateway', async () => {
      const gateway = a.result.ips![0]!.gateway!;
      // Upstream is a local stub that answers nothing useful: no query may leave the host.
      const dns = new DnsServer({ address: gateway, port: 53, upstreams: ['127.0.0.1:9'], searchDomain: 'dns.berth', timeoutMs: 200 });
      await dns.start();
      try {
        dns.records.set('berthtest-b', { names: ['berthtest-b', 'backend'], ipv4: [ipB] });
        const r = await execInNetns(nsA, ['busybox', 'nslookup', 'backend.dns.berth', gateway], { timeoutMs: 10_000 });
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.match(r.stdout, new RegExp(`Address:\\s+${ipB.replace(/\./g, '\\.')}`));
        const miss = await execInNetns(nsA, ['busybox', 'nslookup', 'ghost.dns.berth', gateway], { timeoutMs: 10_000 });
        assert.notEqual(miss.code, 0);
        assert.match(miss.stdout + miss.stderr, /NXDOMAIN/);
      } finally {
        await dns.stop();
      }
    });

    await t.test('CHECK succeeds on both attachments', async () => {
      await client.check(nsA, 'berthtest-a', 'eth0');
      await client.check(nsB, 'berthtest-b', 'eth0');
    });

    await t.test('portmap: 127.0.0.1:hostPort reaches the server in namespace B', async () => {
      server = spawn('nsenter', [`--net=${nsB}`, process.execPath, '-e',
        "require('net').createServer((s) => s.end('hello from berthtest-b\\n')).listen(8080, '0.0.0.0')"], { stdio: 'ignore' });
      // portmap sets route_localnet on the bridge so 127.0.0.1 can be DNATed to it.
      assert.equal(readSysctl(`net/ipv4/conf/${bridge}/route_localnet`), '1');
      const line = await retry(() => fetchLine(hostPort));
      assert.equal(line, 'hello from berthtest-b\n');
    });

    await t.test('bandwidth: a tbf qdisc shapes the host side of B', async () => {
      const hostVeth = b.result.interfaces!.find((i) => !i.sandbox && i.name !== bridge)!.name;
      const qd = sh('tc', ['qdisc', 'show', 'dev', hostVeth]);
      assert.match(qd, /qdisc tbf/, qd);
    });

    server?.kill('SIGKILL');
    server = undefined;
    await client.del(nsA, 'berthtest-a', 'eth0');
    await client.del(nsB, 'berthtest-b', 'eth0');

    await t.test('DEL removed veths, leases, cache entries and per-container iptables rules', () => {
      assert.equal(vethCount(), before.veths);
      assert.deepEqual(readdirSync(join(dataDir, 'berthtest')).filter((f) => /^\d/.test(f)), []);
      assert.deepEqual(readdirSync(cacheDir), []);
      const save = iptablesSave();
      const prefix = subnet.split('.').slice(0, 3).join('.');
      assert.ok(!save.includes(`${prefix}.`), `rules for ${subnet} remain:\n${save.split('\n').filter((l) => l.includes(prefix)).join('\n')}`);
      assert.ok(!save.includes('berthtest-'), 'rules naming the containers remain');
      assert.ok(!save.includes(`dport ${hostPort}`), 'port mapping rules remain');
    });
  } finally {
    server?.kill('SIGKILL');
    for (const path of ns) await deleteNetns(path).catch(() => undefined);
    spawnSync('ip', ['link', 'del', bridge], { stdio: 'ignore' });
    removeNewCniChains(beforeChains);
    writeFileSync('/proc/sys/net/ipv4/ip_forward', before.forward);
    while (spawnSync('mountpoint', ['-q', netnsDir]).status === 0) spawnSync('umount', ['--lazy', netnsDir]);
    rmSync(work, { recursive: true, force: true });
  }
  assert.equal(iptablesSave().split('\n').filter((l) => l.includes('CNI')).length, before.save.split('\n').filter((l) => l.includes('CNI')).length);
  assert.ok(!linkExists(bridge));
});

test('real plugins: a bad subnet is one clear line; a hanging plugin is killed and the chain rolled back', { skip, timeout: 60_000 }, async () => {
  const work = mkdtempSync(join(tmpdir(), 'berth-cni-it-'));
  const netnsDir = join(work, 'netns');
  const hangDir = join(work, 'bin');
  const bridge = 'berthtest1';
  const bridge2 = 'berthtest2';
  const beforeChains = chains(iptablesSave());
  const forward = readSysctl('net/ipv4/ip_forward');
  const veths = vethCount();
  const ns: string[] = [];
  try {
    const nsC = await createNetns('berthtest-c', { dir: netnsDir });
    ns.push(nsC);
    const bad = new CniClient(parseConfList({
      cniVersion: '1.0.0',
      name: 'berthtest-bad',
      plugins: [{ type: 'bridge', bridge, ipam: { type: 'host-local', dataDir: join(work, 'ipam'), ranges: [[{ subnet: '10.213.300.0/24' }]] } }],
    }), { pluginDirs: [PLUGINS], cacheDir: join(work, 'cache') });
    await assert.rejects(bad.add(nsC, 'berthtest-c', 'eth0'), (e: unknown) => {
      assert.ok(isBerthError(e, 'BERTH_ENETWORK'));
      assert.match(e.message, /^network "berthtest-bad": plugin bridge: .*10\.213\.300\.0\/24/);
      assert.ok(!e.message.includes('\n'));
      return true;
    });

    // Hangs on ADD only, so the rollback DEL is quick.
    spawnSync('mkdir', ['-p', hangDir]);
    writeFileSync(join(hangDir, 'hang'), '#!/bin/sh\ncat >/dev/null\n[ "$CNI_COMMAND" = ADD ] && exec sleep 60\nexit 0\n');
    chmodSync(join(hangDir, 'hang'), 0o755);
    const conf = generateConfList({ name: 'berthtest-hang', bridge: bridge2, subnet: '10.213.250.0/24', gateway: '', internal: true, ipMasq: false }, { ipamDataDir: join(work, 'ipam') });
    conf.plugins = [conf.plugins[0]!, { type: 'hang' }];
    const hanging = new CniClient(conf, { pluginDirs: [hangDir, PLUGINS], cacheDir: join(work, 'cache'), timeoutMs: 1500 });
    const t0 = Date.now();
    await assert.rejects(hanging.add(nsC, 'berthtest-c', 'eth0'), /^BerthError: network "berthtest-hang": plugin hang: ADD timed out after 1.5s; the plugin was killed$/);
    assert.ok(Date.now() - t0 < 15_000);
    // The bridge plugin's veth was removed by the rollback DEL.
    assert.equal(vethCount(), veths);
    assert.equal(spawnSync('pgrep', ['-f', 'sleep 60']).status === 0 && sh('pgrep', ['-f', `${hangDir}`]).trim() !== '', false);
  } finally {
    for (const path of ns) await deleteNetns(path).catch(() => undefined);
    spawnSync('ip', ['link', 'del', bridge], { stdio: 'ignore' });
    spawnSync('ip', ['link', 'del', bridge2], { stdio: 'ignore' });
    removeNewCniChains(beforeChains);
    writeFileSync('/proc/sys/net/ipv4/ip_forward', forward);
    while (spawnSync('mountpoint', ['-q', netnsDir]).status === 0) spawnSync('umount', ['--lazy', netnsDir]);
    rmSync(work, { recursive: true, force: true });
  }
});
