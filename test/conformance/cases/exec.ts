// Commands on a running container: list, ps, exec, pause/resume, kill --all.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { before, describe, it } from 'node:test';
import { RuntimeHarness, type ContainerState } from '../../helpers/harness.js';
import { PATH_ENV } from '../../helpers/spec.js';
import { waitFor } from '../../helpers/wait.js';
import { assertExit, assertOk, harness, type Suite } from './context.js';

async function psPids(h: RuntimeHarness, id: string): Promise<number[]> {
  const r = await h.run(['ps', '--format', 'json', id]);
  assertOk(r, 'ps --format json');
  return JSON.parse(r.stdout) as number[];
}

export function execCases(s: Suite): void {
  describe('running container', { concurrency: true }, () => {
    // These cases only add short-lived processes, so one container serves them all.
    const h = RuntimeHarness.forSuite(s);
    const id = h.id('shared');
    let st: ContainerState;
    before(async () => {
      st = (await h.startSleeper(id)).state;
    });

    it('list shows the id, as a table and as JSON', async () => {
      const table = await h.run(['list']);
      assertOk(table, 'list');
      assert.match(table.stdout, /^ID\s+PID\s+STATUS/m);
      assert.ok(table.stdout.split('\n').some((l) => l.split(/\s+/)[0] === id), table.stdout);
      const r = await h.run(['list', '--format', 'json']);
      assertOk(r, 'list --format json');
      const item = (JSON.parse(r.stdout) as { id: string; status: string; pid: number }[]).find((c) => c.id === id);
      assert.ok(item, r.stdout);
      assert.equal(item.status, 'running');
      assert.equal(item.pid, st.pid);
    });

    it('ps lists the container pid, as a table and as JSON', async () => {
      const table = await h.run(['ps', id]);
      assertOk(table, 'ps');
      assert.match(table.stdout, /^\s*UID\s+PID\s+/m);
      assert.ok(table.stdout.split('\n').some((l) => l.trim().split(/\s+/)[1] === String(st.pid)), table.stdout);
      assert.ok((await psPids(h, id)).includes(st.pid!));
    });

    it('exec returns output and exit code', async () => {
      const r = await h.run(['exec', id, 'sh', '-c', 'echo from-exec; echo e >&2; exit 4']);
      assertExit(r, 4, 'exec');
      assert.equal(r.stdout, 'from-exec\n');
      assert.equal(r.stderr, 'e\n');
    });

    it('exec --process runs a process.json', async () => {
      const file = `${h.root}/process-${id}.json`;
      writeFileSync(file, JSON.stringify({
        terminal: false, user: { uid: 0, gid: 0 }, cwd: '/tmp', args: ['sh', '-c', 'echo "$FROM"; pwd'],
        env: [PATH_ENV, 'FROM=process-file'],
      }));
      const r = await h.run(['exec', '--process', file, id]);
      assertOk(r, 'exec --process');
      assert.equal(r.stdout, 'process-file\n/tmp\n');
    });

    it('exec --cwd, --env, --user', async () => {
      const r = await h.run(['exec', '--cwd', '/tmp', '--env', 'X1=one', '--user', '1000:1000', id, 'sh', '-c', 'pwd; echo "$X1"; id -u; id -g']);
      assertOk(r, 'exec with flags');
      assert.equal(r.stdout, '/tmp\none\n1000\n1000\n');
    });

    it('exec --detach returns while the process keeps running', async () => {
      const r = await h.run(['exec', '--detach', id, 'sh', '-c', 'sleep 1000'], { outputFile: `${h.root}/detach-${id}.log` });
      assertOk(r, 'exec --detach');
      await waitFor(async () => (await psPids(h, id)).length >= 2, { what: 'the detached process in ps' });
    });
  });

  describe('pause, resume and kill --all', { concurrency: true }, () => {
    it('pause makes it "paused" and resume "running"', async (t) => {
      const h = harness(t, s);
      const id = h.id();
      await h.startSleeper(id);
      assertOk(await h.run(['pause', id]), 'pause');
      assert.equal((await h.state(id)).status, 'paused');
      assertOk(await h.run(['resume', id]), 'resume');
      assert.equal((await h.state(id)).status, 'running');
    });

    it('kill --all signals every process, not just init', async (t) => {
      const h = harness(t, s);
      const id = h.id();
      const { state } = await h.startSleeper(id);
      assertOk(await h.run(['exec', '--detach', id, 'sleep', '1000'], { outputFile: `${h.root}/d.log` }), 'exec --detach');
      await waitFor(async () => (await psPids(h, id)).length === 2, { what: 'two processes' });
      // Init (pid 1 in its namespace, no handler) ignores SIGTERM; the exec'd sleep dies of it.
      assertOk(await h.run(['kill', '--all', id, 'TERM']), 'kill --all');
      await waitFor(async () => {
        const pids = await psPids(h, id);
        return pids.length === 1 && pids[0] === state.pid;
      }, { what: 'only init left' });
      assert.equal((await h.state(id)).status, 'running');
    });
  });
}
