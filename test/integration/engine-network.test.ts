// `berth run` with real networks (as root): the default bridge when no --network is given, names
// and aliases on a user network, a published busybox httpd fetched from the host, none, host,
// container:NAME, isolation, taken ports (exit 125, nothing left), network connect/disconnect,
// the bandwidth flag as a tbf qdisc, restart re-attaching, and cleanup counted after 30 `run --rm`
// and after `kill -9` of a monitor.
//
// Private --root/--run-root; bridges berthtest5x; subnets from TEST_POOL, checked against the
// host's routes; user networks forward no DNS (dns.upstreams=). Traffic goes only to 127.0.0.1,
// to the test's bridges' addresses and to its containers.
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { overlaps, parseCidr } from '../../src/network/ipv4.js';
import { createNetwork } from '../../src/network/networks.js';
import { PLUGINS, hostCounts, httpGet, iptablesChains, retry, sh, teardown, type HostCounts, type TestEnv } from './network-helpers.js';
import { ENTRY, rootPrivileged } from '../helpers/engine-cli.js';

const TEST_POOL = '10.215.0.0/16';
const DEFAULT_SUBNET = '10.215.50.0/24';
const GATEWAY = '10.215.50.1';
const BRIDGES = ['berthtest50', 'berthtest51', 'berthtest52'];

function poolConflicts(): string[] {
  const pool = parseCidr(TEST_POOL)!;
  const routes = JSON.parse(sh('ip', ['-j', 'route']) || '[]') as Array<{ dst: string; dev?: string }>;
  return routes
    .filter((r) => r.dst !== 'default' && !r.dev?.startsWith('berthtest'))
    .filter((r) => {
      const c = parseCidr(r.dst.includes('/') ? r.dst : `${r.dst}/32`);
      return c !== undefined && overlaps(c, pool);
    })
    .map((r) => r.dst);
}

const skip = !rootPrivileged() ? 'needs root' : !existsSync(join(PLUGINS, 'bridge')) ? 'needs containernetworking-plugins' : false;

interface Result {
  status: number;
  stdout: string;
  stderr: string;
}

describe('berth run with networks', { skip, concurrency: false, timeout: 600_000 }, () => {
  let env: TestEnv;
  let base: string;
  const procEnv: NodeJS.ProcessEnv = { ...process.env, BERTH_CLI: ENTRY };
  delete procEnv.BERTH_TRACE;

  const berth = (args: string[], timeoutMs = 60_000): Result => {
    const r = spawnSync(process.execPath, [ENTRY, '--root', env.ctx.root, '--run-root', env.ctx.runRoot, ...args], { encoding: 'utf8', env: procEnv, input: '', timeout: timeoutMs });
    return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  };
  const ok = (args: string[]): string => {
    const r = berth(args);
    if (r.status !== 0) throw new Error(`berth ${args.join(' ')} exited ${r.status}: ${r.stderr.trim()}`);
    return r.stdout.trim();
  };
  const inspect = (ref: string): Record<string, any> => (JSON.parse(ok(['inspect', ref])) as Record<string, any>[])[0]!;
  const httpd = (text: string): string[] => ['sh', '-c', `mkdir -p /www && echo ${text} > /www/index.html && exec httpd -f -p 80 -h /www`];
  const freePort = async (): Promise<number> => {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const p = (s.address() as { port: number }).port;
    await new Promise((r) => s.close(r));
    return p;
  };
  /** What a container's network could leave on the host. */
  const counts = (): HostCounts => hostCounts(env.ctx);

  before(async () => {
    assert.deepEqual(poolConflicts(), [], `the test pool ${TEST_POOL} overlaps a host route`);
    for (const b of BRIDGES) assert.ok(!existsSync(`/sys/class/net/${b}`), `${b} exists: a previous run did not clean up`);
    base = mkdtempSync(join(tmpdir(), 'berth-engine-net-'));
    env = {
      dir: base,
      ctx: { root: join(base, 'root'), runRoot: join(base, 'run'), pluginDirs: [PLUGINS], defaultBridge: 'berthtest50', subnetPool: TEST_POOL },
      forward: readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim(),
      chainsBefore: iptablesChains(),
    };
    // The default network on a test bridge and subnet: `berth run` then finds it instead of making berth0.
    await createNetwork(env.ctx, { name: 'berth', bridge: 'berthtest50', subnet: DEFAULT_SUBNET, dns: false });
    ok(['network', 'create', '--subnet', '10.215.51.0/24', '-o', 'com.docker.network.bridge.name=berthtest51', '-o', 'dns.upstreams=', 'front']);
    ok(['network', 'create', '--subnet', '10.215.52.0/24', '-o', 'com.docker.network.bridge.name=berthtest52', '-o', 'dns.upstreams=', 'back']);
    ok(['run', '--rm', '--network', 'none', 'busybox', 'true']); // imports the image once
  });

  after(async () => {
    if (env === undefined) return;
    const ids = berth(['ps', '-aq']).stdout.split('\n').filter(Boolean);
    if (ids.length > 0) berth(['rm', '-f', ...ids]);
    await teardown(env, BRIDGES);
  });

  it('the default bridge when no --network is given: an address, a route, /etc/hosts', () => {
    const out = ok(['run', '--rm', '--hostname', 'plain', 'busybox', 'sh', '-c', 'ip -o -4 addr show eth0; ip route; cat /etc/hosts']);
    assert.match(out, /inet 10\.215\.50\.\d+\/24/);
    assert.match(out, new RegExp(`default via ${GATEWAY.replace(/\./g, '\\.')} dev eth0`));
    assert.match(out, /^10\.215\.50\.\d+\tplain$/m);
    assert.equal(ok(['ps', '-aq']), '');
  });

  it('two containers on a user network reach each other by name and by --network-alias', async () => {
    ok(['run', '-d', '--name', 'web', '--network', 'front', '--network-alias', 'www', 'busybox', ...httpd('hello-web')]);
    const ip = inspect('web').NetworkSettings.Networks.front.IPAddress as string;
    assert.match(ip, /^10\.215\.51\.\d+$/);
    assert.deepEqual(inspect('web').NetworkSettings.Networks.front.Aliases.slice(0, 1), ['www']);
    const r = await retry(async () => {
      const x = berth(['run', '--rm', '--network', 'front', 'busybox', 'sh', '-c', 'wget -qO- http://web/ && wget -qO- http://www/ && ping -c1 -W2 web']);
      if (x.status !== 0) throw new Error(x.stdout + x.stderr);
      return x;
    }, 10, 200);
    assert.match(r.stdout, /hello-web\nhello-web\n/);
    assert.match(r.stdout, new RegExp(`bytes from ${ip.replace(/\./g, '\\.')}`));
  });

  it('--dns on a user network: names still resolve, other queries go to that server (docker\'s embedded DNS)', async () => {
    // The fake "corporate" DNS server, on loopback (the network's DNS daemon runs on the host), in a
    // process of its own: berth() below blocks this one while the container asks.
    const messageJs = new URL('../../src/network/dns/message.js', import.meta.url).href;
    const fake = spawn(process.execPath, ['--input-type=module', '-e', `
      import { createSocket } from 'node:dgram';
      import { RRType, Rcode, buildResponse, parseMessage } from ${JSON.stringify(messageJs)};
      const s = createSocket('udp4');
      s.on('message', (msg, rinfo) => {
        const q = parseMessage(msg);
        console.log('saw ' + q.questions[0].name);
        s.send(buildResponse(q, Rcode.NOERROR, [{ name: q.questions[0].name, type: RRType.A, class: 1, ttl: 60, data: '203.0.113.7' }]), rinfo.port, rinfo.address);
      });
      s.bind(53, '127.0.0.77', () => console.log('listening'));`], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    fake.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await retry(async () => {
      if (!out.includes('listening')) throw new Error('the fake DNS server is not up');
    }, 50, 100);
    const seen = (): string[] => out.split('\n').filter((l) => l.startsWith('saw ')).map((l) => l.slice(4));
    try {
      const webIp = inspect('web').NetworkSettings.Networks.front.IPAddress as string;
      const r = await retry(async () => {
        const x = berth(['run', '--rm', '--network', 'front', '--dns', '127.0.0.77', 'busybox', 'sh', '-c', 'grep nameserver /etc/resolv.conf; nslookup corp.example.test; nslookup web']);
        if (x.status !== 0 || !/203\.0\.113\.7/.test(x.stdout)) throw new Error(x.stdout + x.stderr);
        return x;
      }, 10, 200);
      assert.match(r.stdout, /^nameserver 10\.215\.51\.1$/m, 'resolv.conf keeps the network\'s DNS server');
      assert.doesNotMatch(r.stdout, /nameserver 127\.0\.0\.77/);
      assert.match(r.stdout, /Address:? .*203\.0\.113\.7/);
      assert.match(r.stdout, new RegExp(`Address:? .*${webIp.replace(/\./g, '\\.')}`));
      // its output arrives once this process gets back to its event loop
      await retry(async () => {
        if (!seen().some((n) => n.startsWith('corp.example.test'))) throw new Error(`the fake server saw ${seen().join(', ')}`);
      }, 50, 100);
      assert.ok(!seen().some((n) => /^web(\.|$)/.test(n)), 'container names are answered by the network, never forwarded');
    } finally {
      fake.kill();
    }
  });

  it('container:NAME shares the namespace, the hostname and the hosts files', () => {
    const out = ok(['run', '--rm', '--network', 'container:web', 'busybox', 'sh', '-c', 'wget -qO- http://127.0.0.1/; hostname; cat /etc/hosts']);
    const web = inspect('web');
    assert.match(out, /^hello-web\n/);
    assert.ok(out.includes(`${web.Config.Hostname}\n`));
    assert.ok(out.includes(readFileSync(web.HostsPath, 'utf8').trim()));
    const c = berth(['run', '--rm', '--network', 'container:web', '-p', '81:80', 'busybox', 'true']);
    assert.equal(c.status, 125);
    assert.match(c.stderr, /conflicting options/);
  });

  it('two networks are isolated; network connect and disconnect on a running container', async () => {
    const webIp = inspect('web').NetworkSettings.Networks.front.IPAddress as string;
    ok(['run', '-d', '--name', 'other', '--network', 'back', 'busybox', 'sleep', '60']);
    assert.notEqual(berth(['exec', 'other', 'ping', '-c1', '-W1', webIp]).status, 0, 'back reaches front');
    ok(['network', 'connect', '--alias', 'bridgehead', 'back', 'web']);
    assert.match(ok(['exec', 'web', 'ip', '-o', '-4', 'addr', 'show', 'eth1']), /10\.215\.52\.\d+/);
    await retry(async () => {
      const x = berth(['exec', 'other', 'wget', '-qO-', 'http://bridgehead/']);
      if (x.status !== 0) throw new Error(x.stderr);
    }, 10, 200);
    assert.deepEqual(Object.keys(inspect('web').NetworkSettings.Networks).sort(), ['back', 'front']);
    ok(['network', 'disconnect', 'back', 'web']);
    assert.notEqual(berth(['exec', 'web', 'ip', 'link', 'show', 'eth1']).status, 0);
    assert.deepEqual(Object.keys(inspect('web').NetworkSettings.Networks), ['front']);
    ok(['rm', '-f', 'other']);
  });

  it('a published busybox httpd is fetched from the host on 127.0.0.1, and from another container via the host port', async () => {
    const port = await freePort();
    const port2 = await freePort();
    ok(['run', '-d', '--name', 'pub', '-p', `127.0.0.1:${port}:80`, '-p', `${GATEWAY}:${port2}:80`, '--expose', '81', 'busybox', ...httpd('published')]);
    assert.equal(await retry(() => httpGet('127.0.0.1', port)), 'published\n');
    assert.equal(ok(['port', 'pub']), `80/tcp -> 127.0.0.1:${port}\n80/tcp -> ${GATEWAY}:${port2}`);
    assert.equal(ok(['port', 'pub', '80']), `127.0.0.1:${port}\n${GATEWAY}:${port2}`);
    const ns = inspect('pub').NetworkSettings;
    assert.deepEqual(ns.Ports['80/tcp'], [{ HostIp: '127.0.0.1', HostPort: String(port) }, { HostIp: GATEWAY, HostPort: String(port2) }]);
    assert.equal(ns.Ports['81/tcp'], null);
    assert.match(ns.IPAddress, /^10\.215\.50\.\d+$/);
    assert.equal(ns.Gateway, GATEWAY);
    assert.match(ns.SandboxKey, /\/netns\/[0-9a-f]{64}$/);
    assert.match(ok(['ps', '--filter', 'name=pub', '--format', '{{.Ports}}']), new RegExp(`127\\.0\\.0\\.1:${port}->80/tcp`));
    const via = ok(['run', '--rm', 'busybox', 'wget', '-qO-', `http://${GATEWAY}:${port2}/`]);
    assert.equal(via, 'published');
  });

  it('a host port already taken is an error at run: exit 125 and nothing left behind', async () => {
    const taken = Number(/127\.0\.0\.1:(\d+)/.exec(ok(['port', 'pub']))![1]);
    const before = counts();
    const r1 = berth(['run', '-d', '--name', 'dup', '-p', `127.0.0.1:${taken}:80`, 'busybox', 'sleep', '5']);
    assert.equal(r1.status, 125);
    assert.equal(r1.stderr.trim(), `berth: port ${taken}/tcp is already in use`);
    const srv: Server = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const held = (srv.address() as { port: number }).port;
    try {
      const r2 = berth(['run', '--rm', '-p', `127.0.0.1:${held}:80`, 'busybox', 'true']);
      assert.equal(r2.status, 125);
      assert.match(r2.stderr, new RegExp(`port ${held}/tcp is already in use`));
    } finally {
      srv.close();
    }
    assert.deepEqual(ok(['ps', '-a', '--format', '{{.Names}}']).split('\n').sort(), ['pub', 'web']);
    assert.deepEqual(counts(), before);
  });

  it('--network none has only lo (up); --network host sees the host\'s interfaces', () => {
    const none = ok(['run', '--rm', '--network', 'none', 'busybox', 'ip', '-o', 'link']);
    assert.deepEqual(none.split('\n').map((l) => l.split(': ')[1]), ['lo']);
    assert.match(none, /<LOOPBACK,UP/);
    const names = (text: string): string[] => text.split('\n').filter(Boolean).map((l) => l.split(': ')[1]!.split('@')[0]!).sort();
    const inHost = ok(['run', '--rm', '--network', 'host', 'busybox', 'ip', '-o', 'link']);
    assert.deepEqual(names(inHost), names(sh('ip', ['-o', 'link'])));
  });

  it('--network none has no namespace file; container:NAME joins it through its process, and it goes with the container', () => {
    const id = ok(['run', '-d', '--name', 'lonely', '--network', 'none', 'busybox', 'sh', '-c', 'nc -l -p 7000 -e echo hi-from-lonely; sleep 60']);
    try {
      const pid = Number(ok(['inspect', '--format', '{{.State.Pid}}', 'lonely']));
      const key = ok(['inspect', '--format', '{{.NetworkSettings.SandboxKey}}', 'lonely']);
      assert.equal(key, `/proc/${pid}/ns/net`);
      assert.equal(existsSync(join(env.ctx.runRoot, 'netns', id)), false, 'no file under <run-root>/netns');
      const inode = statSync(key).ino;
      const out = ok(['run', '--rm', '--network', 'container:lonely', 'busybox', 'sh', '-c', 'readlink /proc/self/ns/net; nc 127.0.0.1 7000']);
      assert.deepEqual(out.split('\n'), [`net:[${inode}]`, 'hi-from-lonely']);
    } finally {
      ok(['rm', '-f', 'lonely']);
    }
  });

  it('--network-bandwidth lands as a tbf qdisc on the host end of the veth', () => {
    ok(['run', '-d', '--name', 'bw', '--network-bandwidth', 'ingress=8mbit,egress=8mbit', 'busybox', 'sleep', '60']);
    const peer = ok(['exec', 'bw', 'cat', '/sys/class/net/eth0/iflink']);
    const dev = sh('ip', ['-o', 'link']).split('\n').find((l) => l.startsWith(`${peer}: `))!.split(': ')[1]!.split('@')[0]!;
    assert.match(dev, /^veth/);
    assert.match(sh('tc', ['qdisc', 'show', 'dev', dev]), /qdisc tbf .* rate 8Mbit/);
    ok(['rm', '-f', 'bw']);
  });

  it('a restarted container is attached again; stop frees its port', async () => {
    ok(['run', '-d', '--name', 'rs', '--restart', 'on-failure:2', 'busybox', 'sh', '-c', 'ip -o -4 addr show eth0; sleep 0.2; exit 1']);
    let logs = '';
    for (let i = 0; i < 100 && (logs.match(/inet /g) ?? []).length < 3; i++) {
      await new Promise((r) => setTimeout(r, 100));
      logs = ok(['logs', 'rs']);
    }
    assert.equal((logs.match(/inet 10\.215\.50\.\d+/g) ?? []).length, 3, logs);
    await retry(async () => assert.equal(inspect('rs').State.Status, 'exited'), 50, 100);
    ok(['rm', 'rs']);
    const port = Number(/127\.0\.0\.1:(\d+)/.exec(ok(['port', 'pub']))![1]);
    ok(['stop', '-t', '0', 'pub']);
    await assert.rejects(httpGet('127.0.0.1', port, 500));
    assert.deepEqual(inspect('pub').NetworkSettings.Ports, {});
    ok(['start', 'pub']);
    assert.equal(await retry(() => httpGet('127.0.0.1', port)), 'published\n');
  });

  it('30 run --rm on the default network, and rm after kill -9 of a monitor, leave nothing', () => {
    const before = counts();
    for (let i = 0; i < 30; i++) ok(['run', '--rm', '-p', '127.0.0.1::80', 'busybox', 'true']);
    assert.deepEqual(counts(), before);
    const id = ok(['run', '-d', '-p', '127.0.0.1::80', 'busybox', 'sleep', '60']);
    assert.notDeepEqual(counts(), before);
    const pid = inspect(id).State.Pid as number;
    const monitor = Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
    process.kill(monitor, 'SIGKILL');
    ok(['rm', '-f', id]);
    assert.deepEqual(counts(), before);
  });
});
