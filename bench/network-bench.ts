// The time network setup adds to a container, measured at the API the engine calls:
//   none     createNetns + deleteNetns (what --network none costs: a namespace with lo)
//   bridge   attachContainer + detachContainer on the default network (netns, CNI chain of 5 plugins)
//   user     the same on a user network with DNS, another container resident (daemon already up: SIGHUP)
//   user-1st the same with nobody else on the network (the DNS daemon is started and stopped each time)
//   publish  bridge plus -p 127.0.0.1::80 (portmap rules) and a bandwidth limit (tbf + ifb)
// Private roots, bridges berthbench*, a subnet pool checked against the host's routes; no traffic.
// Prints one JSON object: milliseconds per phase (median, p90) for each case.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { attachContainer, detachContainer, reconcileNetworks } from '../src/network/attach.js';
import { parseNetworkBandwidth } from '../src/network/bandwidth.js';
import { createNetns, deleteNetns } from '../src/network/netns.js';
import { createNetwork, removeNetwork } from '../src/network/networks.js';
import { netnsDir, type NetworkContext } from '../src/network/paths.js';
import { parsePublish } from '../src/network/ports.js';
import { listNetworks, networkDb } from '../src/network/store.js';

const RUNS = Number(process.env.RUNS ?? 20);
const dir = mkdtempSync(join(tmpdir(), 'berth-net-bench-'));
const ctx: NetworkContext = { root: join(dir, 'root'), runRoot: join(dir, 'run'), defaultBridge: 'berthbench0', subnetPool: '10.214.0.0/16' };

function stats(xs: number[]): { median: number; p90: number; attach?: number } {
  const s = [...xs].sort((a, b) => a - b);
  return { median: +s[Math.floor(s.length / 2)]!.toFixed(1), p90: +s[Math.floor(s.length * 0.9)]!.toFixed(1) };
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

async function cycle(name: string, opts: Partial<Parameters<typeof attachContainer>[0]>): Promise<Record<string, unknown>> {
  const attach: number[] = [];
  const detach: number[] = [];
  for (let i = 0; i < RUNS + 2; i++) {
    const id = `bench-${name}-${i}`;
    const a = await time(() => attachContainer({ ...ctx, containerId: id, name: id, hostname: id, networks: [{ name: 'bridge' }], ...opts }));
    const d = await time(() => detachContainer({ ...ctx, containerId: id }));
    if (i >= 2) {
      attach.push(a);
      detach.push(d);
    }
  }
  return { attach: stats(attach), detach: stats(detach), total: stats(attach.map((a, i) => a + detach[i]!)) };
}

const out: Record<string, unknown> = { runs: RUNS };
try {
  const none: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    none.push(await time(async () => {
      const p = await createNetns(`bench-none-${i}`, { dir: netnsDir(ctx.runRoot) });
      await deleteNetns(p);
    }));
  }
  out.none = { total: stats(none) };
  out.bridge = await cycle('bridge', {});
  await createNetwork(ctx, { name: 'benchnet', bridge: 'berthbench1', options: { 'dns.upstreams': '' } });
  out['user-1st'] = await cycle('user1', { networks: [{ name: 'benchnet' }] });
  await attachContainer({ ...ctx, containerId: 'bench-resident', name: 'resident', hostname: 'resident', networks: [{ name: 'benchnet' }] });
  out.user = await cycle('user', { networks: [{ name: 'benchnet' }] });
  await detachContainer({ ...ctx, containerId: 'bench-resident' });
  out.publish = await cycle('publish', { portMappings: parsePublish('127.0.0.1::80'), bandwidth: parseNetworkBandwidth('ingress=100mbit,egress=100mbit') });
} finally {
  await reconcileNetworks(ctx, []).catch(() => undefined);
  for (const n of listNetworks(networkDb(ctx.root))) await removeNetwork(ctx, n.name, { allowDefault: true }).catch(() => undefined);
  for (const b of ['berthbench0', 'berthbench1']) spawnSync('ip', ['link', 'del', b], { stdio: 'ignore' });
  while (spawnSync('mountpoint', ['-q', netnsDir(ctx.runRoot)]).status === 0) spawnSync('umount', ['--lazy', netnsDir(ctx.runRoot)]);
  rmSync(dir, { recursive: true, force: true });
}
process.stdout.write(JSON.stringify(out, null, 2) + '\n');
