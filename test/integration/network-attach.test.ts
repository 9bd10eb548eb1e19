// Containers (network namespaces attached through attachContainer, running busybox) on real
// bridges: names through the per-network DNS server, a published port fetched on 127.0.0.1,
// --network none, isolation between networks, taken ports, --ip, connect/disconnect and the CLI.
// Needs root. Traffic stays between the test's namespaces and 127.0.0.1; test networks forward
// no DNS query upstream, and the name tests run on internal networks (no route off the host).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { attachContainer, connectNetwork, detachContainer, disconnectNetwork, containerNetworks } from '../../src/network/attach.js';
import { createNetwork, inspectNetwork, removeNetwork, pruneNetworks } from '../../src/network/networks.js';
import { createNetns, deleteNetns, execInNetns } from '../../src/network/netns.js';
import { dnsDaemonPid } from '../../src/network/dns/control.js';
import { parsePublish } from '../../src/network/ports.js';
import { netnsDir, dnsStateDir } from '../../src/network/paths.js';
import { listNetworks, networkDb } from '../../src/network/store.js';
import { isBerthError } from '../../src/errors.js';
import {
  NO_UPSTREAMS, httpGet, inContainer, makeEnv, poolConflicts, retry, sh, skipReason, startHttpd, stopHttpd, teardown,
} from './network-helpers.js';

const BRIDGES = ['berthtest10', 'berthtest11', 'berthtest12', 'berthtest13', 'berthtest14', 'berthtest15'];

test('networks end to end', { skip: skipReason, timeout: 300_000 }, async (t) => {
  assert.deepEqual(poolConflicts(), [], 'the test pool overlaps a host route');
  for (const b of BRIDGES) assert.ok(!existsSync(`/sys/class/net/${b}`), `${b} exists: a previous run did not clean up`);
  // Networks of other storage roots on this host keep the chains; ours must not add any that stay.
  const isolationBefore = sh('iptables-save', []).split('\n').filter((l) => l.includes('BERTH-ISOLATION')).length;
  const env = makeEnv('net-it', 'berthtest10');
  const { ctx } = env;
  const httpds: Array<ReturnType<typeof startHttpd>> = [];
  try {
    await t.test('two containers reach each other by name and alias; DNS follows containers coming and going', async () => {
      const net = await createNetwork(ctx, { name: 'front', bridge: 'berthtest11', internal: true, options: NO_UPSTREAMS });
      const web = await attachContainer({ ...ctx, containerId: 'it-web', name: 'web', hostname: 'web', networks: [{ name: 'front', aliases: ['www'] }] });
      const cli = await attachContainer({ ...ctx, containerId: 'it-cli', name: 'cli', hostname: 'cli', networks: [{ name: 'front' }] });
      assert.match(cli.resolvConf, new RegExp(`^nameserver ${net.gateway}$`, 'm'));
      assert.match(cli.resolvConf, /^search dns\.berth/m);
      assert.match(web.hostsFile, new RegExp(`^${web.interfaces[0]!.ip.replace(/\./g, '\\.')}\\tweb`, 'm'));
      httpds.push(startHttpd(web.netnsPath, 'hello from web\n'));
      const pid = dnsDaemonPid(ctx.runRoot, 'front');
      assert.ok(pid, 'the DNS daemon runs');

      const r = await retry(async () => {
        const x = inContainer(cli.netnsPath, cli, 'busybox wget -qO- http://web/ && busybox wget -qO- http://www.dns.berth/ && busybox ping -c1 -W2 web');
        if (x.code !== 0) throw new Error(x.out);
        return x;
      }, 10, 200);
      assert.match(r.out, /hello from web\nhello from web\n/);
      assert.match(r.out, new RegExp(`bytes from ${web.interfaces[0]!.ip}`));

      // A container arriving later is found; one leaving is forgotten; the server is the same process.
      const late = await attachContainer({ ...ctx, containerId: 'it-late', name: 'late', hostname: 'late', networks: [{ name: 'front' }] });
      const found = await retry(async () => {
        const x = inContainer(cli.netnsPath, cli, 'busybox nslookup late.dns.berth');
        if (!x.out.includes(late.interfaces[0]!.ip)) throw new Error(x.out);
        return x;
      }, 20, 100);
      assert.equal(found.code, 0);
      await detachContainer({ ...ctx, containerId: 'it-web' });
      const gone = inContainer(cli.netnsPath, cli, 'busybox nslookup web.dns.berth');
      assert.notEqual(gone.code, 0, gone.out);
      assert.match(gone.out, /NXDOMAIN/);
      assert.equal(dnsDaemonPid(ctx.runRoot, 'front'), pid);
      // Foreign names are not forwarded anywhere (no upstreams): SERVFAIL, quickly.
      const foreign = inContainer(cli.netnsPath, cli, 'busybox nslookup example.invalid');
      assert.notEqual(foreign.code, 0);

      await detachContainer({ ...ctx, containerId: 'it-late' });
      await detachContainer({ ...ctx, containerId: 'it-cli' });
      assert.equal(dnsDaemonPid(ctx.runRoot, 'front'), undefined, 'the daemon stops with the last container');
      assert.ok(!existsSync(dnsStateDir(ctx.runRoot, 'front')));
      assert.ok(!existsSync(`/proc/${pid}`) || !sh('cat', [`/proc/${pid}/cmdline`]).includes(ctx.runRoot));
      stopHttpd(httpds.pop()!);
      await removeNetwork(ctx, 'front');
    });

    await t.test('a busybox httpd is fetched from the host through 127.0.0.1:HOSTPORT on the default network', async (t2) => {
      const fixed = parsePublish('127.0.0.1::80')[0]!;
      const c = await attachContainer({ ...ctx, containerId: 'it-http', name: 'http', hostname: 'http', networks: [{ name: 'bridge' }], portMappings: [fixed, ...parsePublish('127.0.0.1::8080')] });
      assert.equal(c.ports.length, 2);
      // The default network has no DNS server: the host's resolvers minus loopback.
      assert.ok(!/nameserver 10\.213\./.test(c.resolvConf));
      httpds.push(startHttpd(c.netnsPath, 'published\n'));
      httpds.push(startHttpd(c.netnsPath, 'second\n', 8080));
      assert.equal(await retry(() => httpGet('127.0.0.1', c.ports[0]!.hostPort)), 'published\n');
      assert.equal(await retry(() => httpGet('127.0.0.1', c.ports[1]!.hostPort)), 'second\n');
      assert.deepEqual(containerNetworks(ctx, 'it-http').ports, c.ports);

      await t2.test('a host port already taken is an error at attach, and nothing is left behind', async () => {
        const before = sh('ip', ['-o', 'link', 'show', 'type', 'veth']);
        await assert.rejects(
          attachContainer({ ...ctx, containerId: 'it-dup', name: 'dup', hostname: 'dup', networks: [{ name: 'bridge' }], portMappings: [{ hostIP: '127.0.0.1', hostPort: c.ports[0]!.hostPort, containerPort: 80, protocol: 'tcp' }] }),
          (e: unknown) => isBerthError(e, 'BERTH_ENETWORK') && e.message.startsWith(`port ${c.ports[0]!.hostPort}/tcp is already in use`),
        );
        const srv = createServer();
        await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
        const held = (srv.address() as { port: number }).port;
        try {
          await assert.rejects(
            attachContainer({ ...ctx, containerId: 'it-dup', name: 'dup', hostname: 'dup', networks: [{ name: 'bridge' }], portMappings: parsePublish(`${held}:80`) }),
            new RegExp(`^BerthError: port ${held}/tcp is already in use$`),
          );
        } finally {
          srv.close();
        }
        assert.equal(sh('ip', ['-o', 'link', 'show', 'type', 'veth']), before);
        assert.ok(!existsSync(`${netnsDir(ctx.runRoot)}/it-dup`));
        assert.deepEqual(containerNetworks(ctx, 'it-dup').attachments, []);
      });

      while (httpds.length) stopHttpd(httpds.pop()!);
      await detachContainer({ ...ctx, containerId: 'it-http' });
      await assert.rejects(httpGet('127.0.0.1', c.ports[0]!.hostPort, 500));
    });

    await t.test('--network none: a namespace with only lo', async () => {
      const path = await createNetns('it-none', { dir: netnsDir(ctx.runRoot) });
      try {
        const r = await execInNetns(path, ['ip', '-o', 'link', 'show']);
        const names = r.stdout.split('\n').filter(Boolean).map((l) => l.split(': ')[1]);
        assert.deepEqual(names, ['lo']);
      } finally {
        await deleteNetns(path);
      }
    });

    await t.test('two networks are isolated from each other; --ip; connect and disconnect', async () => {
      await createNetwork(ctx, { name: 'iso-a', bridge: 'berthtest12', options: NO_UPSTREAMS });
      const b = await createNetwork(ctx, { name: 'iso-b', bridge: 'berthtest13', options: NO_UPSTREAMS });
      const fixedIp = b.subnet.replace(/0\/24$/, '77');
      const a1 = await attachContainer({ ...ctx, containerId: 'it-a1', name: 'a1', hostname: 'a1', networks: [{ name: 'iso-a' }] });
      const a2 = await attachContainer({ ...ctx, containerId: 'it-a2', name: 'a2', hostname: 'a2', networks: [{ name: 'iso-a' }] });
      const b1 = await attachContainer({ ...ctx, containerId: 'it-b1', name: 'b1', hostname: 'b1', networks: [{ name: 'iso-b', ip: fixedIp }] });
      assert.equal(b1.interfaces[0]!.ip, fixedIp);
      const ping = (from: string, ip: string) => execInNetns(from, ['busybox', 'ping', '-c1', '-W1', ip], { timeoutMs: 5000 });
      assert.equal((await ping(a1.netnsPath, a2.interfaces[0]!.ip)).code, 0, 'same network');
      assert.notEqual((await ping(a1.netnsPath, fixedIp)).code, 0, 'across networks');
      assert.notEqual((await ping(b1.netnsPath, a1.interfaces[0]!.ip)).code, 0, 'across networks, other way');
      await assert.rejects(attachContainer({ ...ctx, containerId: 'it-b2', name: 'b2', hostname: 'b2', networks: [{ name: 'iso-b', ip: '192.0.2.9' }] }), /is not in subnet/);

      // connect a1 to iso-b too: now it reaches b1 through its second interface.
      const eth1 = await connectNetwork({ ...ctx, containerId: 'it-a1', name: 'a1', netnsPath: a1.netnsPath, network: { name: 'iso-b', aliases: ['bridgehead'] } });
      assert.equal(eth1.ifName, 'eth1');
      assert.equal((await ping(a1.netnsPath, fixedIp)).code, 0, 'connected');
      const ins = inspectNetwork(ctx, 'iso-b');
      assert.deepEqual(Object.keys(ins.Containers).sort(), ['it-a1', 'it-b1']);
      assert.equal(ins.Containers['it-b1']!.IPv4Address, `${fixedIp}/24`);
      await assert.rejects(removeNetwork(ctx, 'iso-b'), /network iso-b is in use by containers/);
      await disconnectNetwork({ ...ctx, containerId: 'it-a1', network: 'iso-b' });
      assert.notEqual((await ping(a1.netnsPath, fixedIp)).code, 0, 'disconnected');
      const links = await execInNetns(a1.netnsPath, ['ip', '-o', 'link', 'show']);
      assert.ok(!links.stdout.includes('eth1'));
      for (const id of ['it-a1', 'it-a2', 'it-b1']) await detachContainer({ ...ctx, containerId: id });
      // Detach is idempotent.
      await detachContainer({ ...ctx, containerId: 'it-a1' });
      await removeNetwork(ctx, 'iso-a');
      await removeNetwork(ctx, 'iso-b');
      assert.ok(!existsSync('/sys/class/net/berthtest12') && !existsSync('/sys/class/net/berthtest13'), 'bridges removed');
    });

    await t.test('CLI: network create, ls, inspect, rm (refused in use), prune', async () => {
      // The verbs through their command table, in a process of their own (as main.ts would run them).
      const table = new URL('../../src/cli/berth/network-commands.js', import.meta.url).href;
      const args = new URL('../../src/cli/args.js', import.meta.url).href;
      const script = `const { networkCommands } = await import(${JSON.stringify(table)});
        const { parseArgs } = await import(${JSON.stringify(args)});
        const [verb, ...rest] = JSON.parse(process.argv[1]);
        const cmd = await networkCommands['network ' + verb]();
        const g = { root: process.env.R, runRoot: process.env.RR, debug: false };
        try { process.exitCode = await cmd.run(g, parseArgs(rest, cmd.flags)); }
        catch (e) { process.stderr.write('berth: ' + e.message + '\\n'); process.exitCode = 125; }`;
      const run = async (_cmd: unknown, argv: string[]): Promise<{ code: number; text: string }> => {
        const r = spawnSync(process.execPath, ['--input-type=module', '-e', script, JSON.stringify([_cmd, ...argv])], { encoding: 'utf8', env: { ...process.env, R: ctx.root, RR: ctx.runRoot } });
        if (r.status === 125) throw new Error(r.stderr);
        return { code: r.status ?? -1, text: r.stdout + (r.status ? r.stderr : '') };
      };
      const created = await run('create', ['--subnet', '10.213.200.0/24', '--gateway', '10.213.200.254', '--internal', '--label', 'team=net', '-o', 'com.docker.network.bridge.name=berthtest14', 'clinet']);
      assert.match(created.text, /^[0-9a-f]{64}\n$/);
      await assert.rejects(run('create', ['--subnet', '10.213.200.128/25', 'overlap']), /overlaps subnet 10\.213\.200\.0\/24 of network clinet/);
      await assert.rejects(run('create', ['--subnet', '192.0.2.0/24', '-o', 'com.docker.network.bridge.name=berthtest15', 'hostroute']), /overlaps the host route/);
      const ls = await run('ls', []);
      assert.match(ls.text, /^NETWORK ID\s+NAME\s+DRIVER\s+SCOPE\n/);
      assert.match(ls.text, /^[0-9a-f]{12}\s+clinet\s+bridge\s+local$/m);
      const q = await run('ls', ['-q', '--filter', 'name=clinet']);
      assert.equal(q.text, `${created.text.slice(0, 12)}\n`);
      const js = (await run('ls', ['--format', 'json'])).text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>);
      assert.deepEqual(js.map((n) => n.Name).sort(), ['berth', 'clinet']);
      const ins = JSON.parse((await run('inspect', ['clinet'])).text) as Array<Record<string, unknown>>;
      assert.equal(ins[0]!.Name, 'clinet');
      assert.deepEqual(ins[0]!.IPAM, { Driver: 'default', Options: {}, Config: [{ Subnet: '10.213.200.0/24', Gateway: '10.213.200.254' }] });
      assert.equal(ins[0]!.Internal, true);
      assert.deepEqual(ins[0]!.Labels, { team: 'net' });
      assert.equal((await run('inspect', ['--format', '{{.Driver}}', 'clinet'])).text, 'bridge\n');
      // In use: refused, and the network is still there.
      const c = await attachContainer({ ...ctx, containerId: 'it-cli2', name: 'cli2', hostname: 'cli2', networks: [{ name: 'clinet' }] });
      assert.equal(c.interfaces[0]!.gateway, '10.213.200.254');
      const refused = await run('rm', ['clinet']);
      assert.equal(refused.code, 1);
      assert.match(refused.text, /network clinet is in use by container cli2/);
      const pruned = await run('prune', []);
      assert.equal(pruned.text, '');
      await detachContainer({ ...ctx, containerId: 'it-cli2' });
      assert.equal((await run('prune', ['-f'])).text, 'Deleted Networks:\nclinet\n');
      assert.deepEqual(listNetworks(networkDb(ctx.root)).map((n) => n.name), ['berth']);
      assert.ok(!existsSync('/sys/class/net/berthtest14'));
      assert.deepEqual(await pruneNetworks(ctx), []);
    });
  } finally {
    for (const h of httpds) stopHttpd(h);
    await teardown(env, BRIDGES);
  }
  for (const b of BRIDGES) assert.ok(!existsSync(`/sys/class/net/${b}`), `${b} left behind`);
  const isolationAfter = sh('iptables-save', []).split('\n').filter((l) => l.includes('BERTH-ISOLATION')).length;
  assert.equal(isolationAfter, isolationBefore, 'isolation rules left behind');
});
