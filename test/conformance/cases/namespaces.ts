// Namespaces: a new one, one joined by path, and a user namespace with id mappings.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { describe, it } from 'node:test';
import { uniqueId } from '../../helpers/ids.js';
import { assertOk, harness, type Suite } from './context.js';

function ip(args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim()}`);
}

export function namespaceCases(s: Suite): void {
  describe('namespaces', { concurrency: true }, () => {
    it('a new network namespace has only lo', async (t) => {
      const h = harness(t, s);
      const id = h.id();
      const b = h.bundle(id, ['ls', '/sys/class/net']);
      const r = await h.run(['run', '--bundle', b.dir, id]);
      assertOk(r, 'run');
      assert.equal(r.stdout.trim(), 'lo');
    });

    it('lo is up in a new network namespace (runc brings it up), and not touched in a joined one', async (t) => {
      const h = harness(t, s);
      const id = h.id();
      // IFF_UP is bit 0 of the interface flags
      const b = h.bundle(id, ['cat', '/sys/class/net/lo/flags']);
      const r = await h.run(['run', '--bundle', b.dir, id]);
      assertOk(r, 'run');
      assert.equal(Number(r.stdout.trim()) & 1, 1, `flags ${r.stdout.trim()}`);

      const ns = uniqueId('bt').slice(0, 24);
      ip(['netns', 'add', ns]);
      h.cleanup.add(`ip netns del ${ns}`, () => ip(['netns', 'del', ns]));
      const joined = h.id();
      const jb = h.bundle(joined, ['cat', '/sys/class/net/lo/flags'], (spec) => {
        spec.linux.namespaces = spec.linux.namespaces.map((n) => (n.type === 'network' ? { type: 'network', path: `/run/netns/${ns}` } : n));
      });
      const jr = await h.run(['run', '--bundle', jb.dir, joined]);
      assertOk(jr, 'run');
      assert.equal(Number(jr.stdout.trim()) & 1, 0, 'a joined namespace keeps its lo as it was (down)');
    });

    it('a namespace path joins an existing network namespace', async (t) => {
      const h = harness(t, s);
      const ns = uniqueId('bt').slice(0, 24);
      ip(['netns', 'add', ns]);
      h.cleanup.add(`ip netns del ${ns}`, () => ip(['netns', 'del', ns]));
      // A veth pair inside it makes it recognisable from the container.
      ip(['-n', ns, 'link', 'add', 'bt-a', 'type', 'veth', 'peer', 'name', 'bt-b']);
      const id = h.id();
      const b = h.bundle(id, ['sh', '-c', 'readlink /proc/self/ns/net; ls /sys/class/net'], (spec) => {
        spec.linux.namespaces = spec.linux.namespaces.map((n) => (n.type === 'network' ? { type: 'network', path: `/run/netns/${ns}` } : n));
      });
      const r = await h.run(['run', '--bundle', b.dir, id]);
      assertOk(r, 'run');
      const [nsLink, ...ifaces] = r.stdout.trim().split(/\s+/);
      assert.equal(nsLink, `net:[${statSync(`/run/netns/${ns}`).ino}]`);
      assert.deepEqual(ifaces.sort(), ['bt-a', 'bt-b', 'lo']);
    });

    it('a user namespace maps uid 0 inside to the host uid of uidMappings', async (t) => {
      const h = harness(t, s);
      const id = h.id();
      const { state } = await h.startSleeper(id, (spec) => {
        spec.linux.namespaces.push({ type: 'user' });
        spec.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
        spec.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      });
      const status = readFileSync(`/proc/${state.pid}/status`, 'utf8');
      assert.match(status, /^Uid:\s+100000\s+100000\s+100000\s+100000$/m);
      assert.match(status, /^Gid:\s+100000\s+100000\s+100000\s+100000$/m);
      const inside = await h.run(['exec', id, 'sh', '-c', 'id -u; cat /proc/self/uid_map']);
      assertOk(inside, 'exec');
      assert.deepEqual(inside.stdout.trim().split(/\s+/), ['0', '0', '100000', '65536']);
    });
  });
}
