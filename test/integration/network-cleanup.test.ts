// Cleanup: 30 attach/detach cycles (default network + a user network, a published port and a
// bandwidth limit, so every plugin of the chain runs) leave no veth, link, netns, iptables or
// nftables rule, IPAM lease, cache entry or DNS daemon behind; a namespace deleted out from under
// a container (a crash) and a killed DNS daemon are recovered by detach and reconcile.
// Needs root; traffic: none beyond what the plugins set up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { attachContainer, detachContainer, reconcileNetworks, containerNetworks } from '../../src/network/attach.js';
import { dnsDaemonPid } from '../../src/network/dns/control.js';
import { createNetwork } from '../../src/network/networks.js';
import { deleteNetns, isNetns } from '../../src/network/netns.js';
import { parseNetworkBandwidth } from '../../src/network/bandwidth.js';
import { parsePublish } from '../../src/network/ports.js';
import { NO_UPSTREAMS, hostCounts, makeEnv, poolConflicts, retry, skipReason, teardown } from './network-helpers.js';

const BRIDGES = ['berthtest20', 'berthtest21'];

test('30 attach/detach cycles and crash recovery leave nothing behind', { skip: skipReason, timeout: 300_000 }, async () => {
  assert.deepEqual(poolConflicts(), []);
  for (const b of BRIDGES) assert.ok(!existsSync(`/sys/class/net/${b}`), `${b} exists: a previous run did not clean up`);
  const env = makeEnv('net-cycles', 'berthtest20');
  const { ctx } = env;
  const attach = (id: string) => attachContainer({
    ...ctx, containerId: id, name: id, hostname: id,
    networks: [{ name: 'bridge' }, { name: 'cyc', aliases: [`${id}-alias`] }],
    portMappings: parsePublish('127.0.0.1::80'),
    bandwidth: parseNetworkBandwidth('ingress=100mbit,egress=100mbit'),
  });
  try {
    await createNetwork(ctx, { name: 'cyc', bridge: 'berthtest21', options: NO_UPSTREAMS });
    // One warm-up cycle: the bridges and the plugins' shared chains (CNI-HOSTPORT-*, CNI-FORWARD)
    // appear on first use and stay by design, like the bridges.
    await attach('warm');
    await detachContainer({ ...ctx, containerId: 'warm' });
    const before = hostCounts(ctx);
    assert.equal(before.dnsDaemons, 0);

    for (let i = 0; i < 30; i++) {
      const id = `cycle${i}`;
      const r = await attach(id);
      if (i === 0) {
        const during = hostCounts(ctx);
        assert.equal(during.veths, before.veths + 2);
        assert.equal(during.netns, before.netns + 1);
        assert.equal(during.leases, before.leases + 2);
        assert.equal(during.dnsDaemons, 1);
        assert.ok(during.iptablesRules > before.iptablesRules);
        assert.equal(r.interfaces.map((x) => x.ifName).join(','), 'eth0,eth1');
      }
      await detachContainer({ ...ctx, containerId: id });
    }
    assert.deepEqual(hostCounts(ctx), before, 'after 30 cycles');

    // A crash: the namespace is gone (reboot, someone's umount) before berth could detach.
    const crashed = await attach('crash1');
    await deleteNetns(crashed.netnsPath);
    assert.ok(!(await isNetns(crashed.netnsPath)));
    await detachContainer({ ...ctx, containerId: 'crash1' });
    assert.deepEqual(hostCounts(ctx), before, 'after detach of a container whose namespace vanished');

    // berth killed mid-life: one container dead (namespace gone), one alive; the DNS daemon killed.
    await attach('dead');
    const live = await attach('live');
    const pid = dnsDaemonPid(ctx.runRoot, 'cyc')!;
    process.kill(pid, 'SIGKILL');
    await retry(async () => assert.equal(dnsDaemonPid(ctx.runRoot, 'cyc'), undefined));
    await deleteNetns(`${ctx.runRoot}/netns/dead`);
    const rec = await reconcileNetworks(ctx, ['live']);
    assert.deepEqual(rec.detached, ['dead']);
    assert.deepEqual(rec.errors, []);
    assert.equal(containerNetworks(ctx, 'live').attachments.length, 2);
    assert.ok(await isNetns(live.netnsPath));
    const again = dnsDaemonPid(ctx.runRoot, 'cyc');
    assert.ok(again && again !== pid, 'reconcile restarted the DNS daemon for the live container');
    await detachContainer({ ...ctx, containerId: 'live' });
    // A second reconcile finds nothing to do.
    assert.deepEqual(await reconcileNetworks(ctx, []), { detached: [], netnsRemoved: [], cacheReleased: [], errors: [] });
    assert.deepEqual(hostCounts(ctx), before, 'after reconcile');
  } finally {
    await teardown(env, BRIDGES);
  }
  for (const b of BRIDGES) assert.ok(!existsSync(`/sys/class/net/${b}`), `${b} left behind`);
});
