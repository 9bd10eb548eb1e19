// The berth engine end to end (as root): run, exit codes, detach + logs, exec, stop, kill,
// restart policy, health, rm, ps filters, inspect, cp, diff, commit, volumes, mounts, limits, bad input.
// Containers run with --network none where networking does not matter (fast, and no default
// bridge on the host); engine-network.test.ts covers the networks.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BerthCli, resources, rootPrivileged, until } from '../helpers/engine-cli.js';
import { allocateUserNamespaceRange } from '../../src/runtime/userns.js';

/** dispose() keeps a base dir with a mount in it: the shared mount of --network none's namespaces goes first. */
function disposeAll(cli: BerthCli): void {
  cli.dispose();
  const nsDir = join(cli.runRoot, 'netns');
  while (spawnSync('mountpoint', ['-q', nsDir]).status === 0) spawnSync('umount', ['--lazy', nsDir]);
  rmSync(cli.base, { recursive: true, force: true });
}

const skip = !rootPrivileged() && 'needs root';

describe('berth engine', { skip, concurrency: false }, () => {
  const cli = new BerthCli();
  const host = mkdtempSync(join(tmpdir(), 'berth-engine-host-'));

  before(() => {
    cli.ok(['run', '--network', 'none', '--rm', 'busybox', 'true']); // imports the image once
  });
  after(() => {
    disposeAll(cli);
    rmSync(host, { recursive: true, force: true });
  });

  it('run --rm echo prints and leaves nothing', () => {
    const r = cli.run(['run', '--network', 'none', '--rm', 'busybox', 'echo', 'hello world']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'hello world\n');
    assert.equal(cli.ok(['ps', '-aq']), '');
  });

  it('exit codes: 0, 3, 125, 126, 127', () => {
    assert.equal(cli.run(['run', '--network', 'none', '--rm', 'busybox', 'true']).status, 0);
    assert.equal(cli.run(['run', '--network', 'none', '--rm', 'busybox', 'sh', '-c', 'exit 3']).status, 3);
    const bad = cli.run(['run', '--network', 'none', '--rm', '--memory', '12x', 'busybox', 'true']);
    assert.equal(bad.status, 125);
    assert.equal(bad.stderr.trim().split('\n').length, 1);
    assert.match(bad.stderr, /--memory/);
    const nf = cli.run(['run', '--network', 'none', '--rm', 'busybox', 'nosuchcommand']);
    assert.equal(nf.status, 127, nf.stderr);
    assert.match(nf.stderr, /not found/);
    // A directory cannot be executed: 126 (runc and berth-runtime both refuse it).
    const pd = cli.run(['run', '--network', 'none', '--rm', '--runtime', 'runc', 'busybox', '/etc']);
    assert.equal(pd.status, 126, pd.stderr);
    assert.equal(cli.ok(['ps', '-aq']), '');
  });

  it('-d, logs, logs -f, --tail, -t', async () => {
    const id = cli.ok(['run', '--network', 'none', '-d', '--name', 'logger', 'busybox', 'sh', '-c', 'echo one; echo two >&2; sleep 0.5; echo three']);
    assert.match(id, /^[0-9a-f]{64}$/);
    const f = cli.run(['logs', '-f', 'logger']);
    assert.equal(f.stdout, 'one\nthree\n');
    assert.equal(f.stderr, 'two\n');
    assert.equal(cli.run(['logs', '--tail', '1', 'logger']).stdout, 'three\n');
    assert.match(cli.run(['logs', '-t', 'logger']).stdout, /^\d{4}-\d\d-\d\dT[\d:.]+Z one\n/);
    assert.equal(cli.ok(['wait', 'logger']), '0');
    cli.ok(['rm', 'logger']);
  });

  it('exec, exec -u -w -e, exit status and not found', () => {
    cli.ok(['run', '--network', 'none', '-d', '--name', 'ex', 'busybox', 'sleep', '60']);
    assert.equal(cli.ok(['exec', 'ex', 'echo', 'hi']), 'hi');
    assert.equal(cli.ok(['exec', '-u', 'nobody', '-w', '/tmp', '-e', 'A=b', 'ex', 'sh', '-c', 'echo $(id -u) $(pwd) $A']), '65534 /tmp b');
    assert.equal(cli.run(['exec', 'ex', 'sh', '-c', 'exit 5']).status, 5);
    assert.equal(cli.run(['exec', 'ex', 'nosuch']).status, 127);
    cli.ok(['rm', '-f', 'ex']);
  });

  it('stop sends the stop signal (a trap) and then SIGKILL after -t', () => {
    cli.ok(['run', '--network', 'none', '-d', '--name', 'trap', 'busybox', 'sh', '-c', 'trap "echo bye; exit 7" TERM; while :; do sleep 0.1; done']);
    cli.ok(['stop', '-t', '5', 'trap']);
    assert.equal(cli.inspect('trap').State.ExitCode, 7);
    assert.match(cli.ok(['logs', 'trap']), /bye/);
    // A process that ignores SIGTERM is killed after the timeout.
    cli.ok(['run', '--network', 'none', '-d', '--name', 'stubborn', 'busybox', 'sh', '-c', 'trap "" TERM; while :; do sleep 0.1; done']);
    const t0 = Date.now();
    cli.ok(['stop', '-t', '1', 'stubborn']);
    assert.ok(Date.now() - t0 >= 1000);
    assert.equal(cli.inspect('stubborn').State.ExitCode, 137);
    cli.ok(['rm', 'trap', 'stubborn']);
  });

  it('kill -s delivers the signal', () => {
    cli.ok(['run', '--network', 'none', '-d', '--name', 'k', 'busybox', 'sh', '-c', 'trap "echo usr1; exit 0" USR1; while :; do sleep 0.1; done']);
    cli.ok(['kill', '-s', 'USR1', 'k']);
    assert.equal(cli.ok(['wait', 'k']), '0');
    assert.match(cli.ok(['logs', 'k']), /usr1/);
    cli.ok(['rm', 'k']);
  });

  it('restart policy on-failure:2 counts restarts, then stays exited', async () => {
    cli.ok(['run', '--network', 'none', '-d', '--name', 'flaky', '--restart', 'on-failure:2', 'busybox', 'sh', '-c', 'echo run; exit 1']);
    await until(() => {
      const s = cli.inspect('flaky');
      return s.RestartCount === 2 && s.State.Status === 'exited';
    }, 20_000, 200);
    await new Promise((r) => setTimeout(r, 1500));
    const s = cli.inspect('flaky');
    assert.equal(s.RestartCount, 2);
    assert.equal(s.State.ExitCode, 1);
    assert.equal(cli.ok(['logs', 'flaky']).split('\n').length, 3);
    cli.ok(['rm', 'flaky']);
  });

  it('healthcheck: healthy and unhealthy, with a log', async () => {
    cli.ok(['run', '--network', 'none', '-d', '--name', 'hc-ok', '--health-cmd', 'true', '--health-interval', '300ms', 'busybox', 'sleep', '60']);
    cli.ok(['run', '--network', 'none', '-d', '--name', 'hc-bad', '--health-cmd', 'echo failing; exit 1', '--health-interval', '300ms', '--health-retries', '2', 'busybox', 'sleep', '60']);
    await until(() => cli.inspect('hc-ok').State.Health?.Status === 'healthy', 15_000, 200);
    await until(() => cli.inspect('hc-bad').State.Health?.Status === 'unhealthy', 15_000, 200);
    const h = cli.inspect('hc-bad').State.Health;
    assert.ok(h.FailingStreak >= 2);
    assert.ok(h.Log.length >= 2 && h.Log.length <= 5);
    assert.match(h.Log[0].Output, /failing/);
    assert.match(cli.ok(['ps', '--filter', 'name=hc-ok']), /\(healthy\)/);
    cli.ok(['rm', '-f', 'hc-ok', 'hc-bad']);
  });

  it('ps filters, -q and --format json; inspect shape', () => {
    const a = cli.ok(['run', '--network', 'none', '-d', '--name', 'pa', '-l', 'tier=web', 'busybox', 'sleep', '60']);
    cli.ok(['run', '--network', 'none', '--name', 'pb', 'busybox', 'true']);
    assert.equal(cli.ok(['ps', '-q']), a.slice(0, 12));
    assert.equal(cli.ok(['ps', '-aq', '--filter', 'status=exited']).split('\n').length, 1);
    assert.equal(cli.ok(['ps', '-aq', '--filter', 'label=tier=web']), a.slice(0, 12));
    assert.equal(cli.ok(['ps', '-aq', '--filter', 'name=pb']).length, 12);
    assert.equal(cli.ok(['ps', '-aq', '--filter', `id=${a.slice(0, 6)}`]), a.slice(0, 12));
    assert.equal(cli.ok(['ps', '-aq', '--filter', 'ancestor=busybox']).split('\n').length, 2);
    const rows = cli.ok(['ps', '-a', '--format', 'json']).split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(rows.map((r) => r.Names).sort(), ['pa', 'pb']);
    assert.equal(cli.ok(['ps', '-a', '--format', '{{.Names}}:{{.State}}', '--filter', 'name=pa']), 'pa:running');
    const i = cli.inspect(a.slice(0, 12));
    assert.equal(i.Id, a);
    assert.equal(i.Name, '/pa');
    for (const k of ['Status', 'Running', 'Paused', 'Restarting', 'OOMKilled', 'Dead', 'Pid', 'ExitCode', 'Error', 'StartedAt', 'FinishedAt']) assert.ok(k in i.State, k);
    assert.equal(i.State.Running, true);
    assert.ok(i.State.Pid > 0);
    assert.equal(i.Config.Labels.tier, 'web');
    assert.deepEqual(i.Config.Cmd, ['sleep', '60']);
    assert.equal(i.HostConfig.RestartPolicy.Name, 'no');
    assert.ok(Array.isArray(i.Mounts));
    assert.equal(typeof i.RestartCount, 'number');
    cli.ok(['pause', 'pa']);
    assert.equal(cli.inspect('pa').State.Status, 'paused');
    cli.ok(['unpause', 'pa']);
    cli.ok(['rename', 'pa', 'pa2']);
    assert.equal(cli.inspect('pa2').Name, '/pa2');
    cli.ok(['rm', '-f', 'pa2', 'pb']);
  });

  it('cp both ways, symlinks resolved inside the container', () => {
    cli.ok(['run', '--network', 'none', '-d', '--name', 'cpc', 'busybox', 'sh', '-c', 'mkdir -p /data && echo inside > /data/f && ln -s / /data/root && ln -s /etc /data/etc && sleep 60']);
    writeFileSync(join(host, 'in.txt'), 'from host\n');
    cli.ok(['exec', 'cpc', 'true']);
    cli.ok(['cp', join(host, 'in.txt'), 'cpc:/data/in.txt']);
    assert.equal(cli.ok(['exec', 'cpc', 'cat', '/data/in.txt']), 'from host');
    cli.ok(['cp', 'cpc:/data/f', join(host, 'out.txt')]);
    assert.equal(readFileSync(join(host, 'out.txt'), 'utf8'), 'inside\n');
    // /data/etc -> /etc must mean the container's /etc, never the host's.
    cli.ok(['cp', join(host, 'in.txt'), 'cpc:/data/etc/berth-escape-test']);
    assert.ok(!existsSync('/etc/berth-escape-test'));
    assert.equal(cli.ok(['exec', 'cpc', 'cat', '/etc/berth-escape-test']), 'from host');
    cli.ok(['cp', 'cpc:/data/root/etc/passwd', join(host, 'passwd')]);
    assert.equal(readFileSync(join(host, 'passwd'), 'utf8'), cli.ok(['exec', 'cpc', 'cat', '/etc/passwd']) + '\n');
    assert.equal(cli.run(['cp', 'cpc:/nonexistent', host]).status, 125);
    cli.ok(['rm', '-f', 'cpc']);
  });

  it('diff, then commit and run the committed image', () => {
    cli.ok(['run', '--network', 'none', '--name', 'dc', 'busybox', 'sh', '-c', 'echo x > /newfile && rm /bin/vi && echo y >> /etc/passwd']);
    const d = cli.ok(['diff', 'dc']).split('\n');
    assert.ok(d.includes('A /newfile'), d.join(','));
    assert.ok(d.includes('D /bin/vi'), d.join(','));
    assert.ok(d.includes('C /etc/passwd'), d.join(','));
    cli.ok(['commit', 'dc', 'committed:v1']);
    assert.equal(cli.ok(['run', '--network', 'none', '--rm', 'committed:v1', 'cat', '/newfile']), 'x');
    assert.equal(cli.run(['run', '--network', 'none', '--rm', 'committed:v1', 'ls', '/bin/vi']).status, 1);
    cli.ok(['rm', 'dc']);
  });

  it('volumes: named, anonymous, bind, :ro, and rm -v', () => {
    cli.ok(['volume', 'create', 'vol1']);
    cli.ok(['run', '--network', 'none', '--rm', '-v', 'vol1:/v', 'busybox', 'sh', '-c', 'echo persisted > /v/f']);
    assert.equal(cli.ok(['run', '--network', 'none', '--rm', '-v', 'vol1:/v:ro', 'busybox', 'cat', '/v/f']), 'persisted');
    assert.notEqual(cli.run(['run', '--network', 'none', '--rm', '-v', 'vol1:/v:ro', 'busybox', 'sh', '-c', 'echo no > /v/g']).status, 0);
    mkdirSync(join(host, 'bind'), { recursive: true });
    cli.ok(['run', '--network', 'none', '--rm', '-v', `${join(host, 'bind')}:/b`, 'busybox', 'sh', '-c', 'echo bound > /b/f']);
    assert.equal(readFileSync(join(host, 'bind', 'f'), 'utf8'), 'bound\n');
    const id = cli.ok(['create', '--network', 'none', '-v', '/anon', 'busybox', 'true']);
    const anon = cli.inspect(id).Mounts.find((m: { Destination: string }) => m.Destination === '/anon');
    assert.equal(anon.Type, 'volume');
    assert.ok(cli.ok(['volume', 'ls', '-q']).includes(anon.Name));
    assert.equal(cli.run(['volume', 'rm', anon.Name]).status, 125); // in use
    cli.ok(['rm', '-v', id]);
    assert.ok(!cli.ok(['volume', 'ls', '-q']).includes(anon.Name));
    const vi = JSON.parse(cli.ok(['volume', 'inspect', 'vol1']))[0];
    assert.equal(vi.Name, 'vol1');
    assert.ok(existsSync(vi.Mountpoint));
    cli.ok(['volume', 'rm', 'vol1']);
    assert.equal(cli.ok(['volume', 'ls', '-q']), '');
  });

  it('--read-only, --tmpfs, -u, -w, -e, --env-file, --hostname', () => {
    assert.notEqual(cli.run(['run', '--network', 'none', '--rm', '--read-only', 'busybox', 'touch', '/x']).status, 0);
    assert.equal(cli.ok(['run', '--network', 'none', '--rm', '--read-only', '--tmpfs', '/scratch', 'busybox', 'sh', '-c', 'touch /scratch/x && grep " /scratch " /proc/mounts | cut -d" " -f3']), 'tmpfs');
    assert.equal(cli.ok(['run', '--network', 'none', '--rm', '-u', '1000:1000', '-w', '/tmp/wd', 'busybox', 'sh', '-c', 'echo $(id -u):$(id -g) $(pwd)']), '1000:1000 /tmp/wd');
    writeFileSync(join(host, 'env'), '# comment\nFROM_FILE=1\n\nOTHER=two words\n');
    assert.equal(cli.ok(['run', '--network', 'none', '--rm', '--env-file', join(host, 'env'), '-e', 'X=y', 'busybox', 'sh', '-c', 'echo $FROM_FILE $OTHER $X']), '1 two words y');
    assert.equal(cli.ok(['run', '--network', 'none', '--rm', '-h', 'myhost', 'busybox', 'hostname']), 'myhost');
    assert.equal(cli.ok(['run', '--rm', '--network', 'none', 'busybox', 'sh', '-c', 'ls /sys/class/net']), 'lo');
  });

  it('--memory and --pids-limit reach the cgroup; --cpus sets the quota', () => {
    const id = cli.ok(['run', '--network', 'none', '-d', '--memory', '64m', '--pids-limit', '50', '--cpus', '1.5', 'busybox', 'sleep', '60']);
    const cg = (ctl: string, file: string): string => readFileSync(`/sys/fs/cgroup/${ctl}/berth/${id}/${file}`, 'utf8').trim();
    assert.equal(cg('memory', 'memory.limit_in_bytes'), String(64 * 1024 * 1024));
    assert.equal(cg('pids', 'pids.max'), '50');
    assert.equal(cg('cpu', 'cpu.cfs_quota_us'), '150000');
    assert.equal(cg('cpu', 'cpu.cfs_period_us'), '100000');
    cli.ok(['rm', '-f', id]);
  });

  it('bad input: one line, exit 125, nothing left behind', () => {
    const before = resources(cli);
    cli.ok(['run', '--network', 'none', '-d', '--name', 'taken', 'busybox', 'sleep', '60']);
    const cases: string[][] = [
      ['run', '--network', 'none', '--rm', 'nosuchimage', 'true'],
      ['run', '--network', 'none', '--rm', '--memory', '12x', 'busybox', 'true'],
      ['run', '--network', 'none', '--rm', '--name', 'taken', 'busybox', 'true'],
      ['run', '--network', 'none', '--rm', '-v', '/nonexistent/source:/x', 'busybox', 'true'],
      ['stop', 'nosuchcontainer'],
      ['rm', 'nosuchcontainer'],
      ['run', '--network', 'none', '--restart', 'sometimes', 'busybox', 'true'],
    ];
    for (const c of cases) {
      const r = cli.run(c);
      assert.equal(r.status, 125, `${c.join(' ')}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
    assert.equal(cli.ok(['ps', '-aq']).split('\n').length, 1);
    cli.ok(['rm', '-f', 'taken']);
    assert.deepEqual(resources(cli), before);
  });

  it('a container whose monitor was killed is exited (255) and removable', async () => {
    const id = cli.ok(['run', '--network', 'none', '-d', 'busybox', 'sleep', '60']);
    const i = cli.inspect(id);
    const monitorPid = Number(readFileSync('/proc/' + i.State.Pid + '/stat', 'utf8').split(') ')[1]!.split(' ')[1]);
    process.kill(monitorPid, 'SIGKILL');
    await until(() => cli.inspect(id).State.Status === 'exited');
    const s = cli.inspect(id).State;
    assert.equal(s.ExitCode, 255);
    assert.match(s.Error, /monitor/);
    assert.equal(cli.ok(['ps', '-q']), '');
    cli.ok(['rm', id]);
    assert.equal(cli.ok(['ps', '-aq']), '');
  });

  it('--runtime runc runs a container', () => {
    assert.equal(cli.ok(['run', '--network', 'none', '--rm', '--runtime', 'runc', 'busybox', 'echo', 'via runc']), 'via runc');
    const id = cli.ok(['run', '--network', 'none', '-d', '--runtime', 'runc', 'busybox', 'sleep', '60']);
    assert.equal(cli.ok(['exec', id, 'echo', 'exec runc']), 'exec runc');
    cli.ok(['rm', '-f', id]);
  });

  it('rm keeps the record of a container the runtime could not delete, and a later rm -f finishes', async () => {
    // runc, except that `delete` fails while the marker file exists
    const marker = join(host, 'fail-delete');
    const runtime = join(host, 'flaky-runtime');
    writeFileSync(runtime, `#!/bin/sh\nfor a in "$@"; do [ "$a" = delete ] && [ -e ${marker} ] && { echo "flaky: delete refused" >&2; exit 1; }; done\nexec runc "$@"\n`, { mode: 0o755 });
    const id = cli.ok(['run', '--network', 'none', '-d', '--runtime', runtime, 'busybox', 'sleep', '60']);
    writeFileSync(marker, '');
    const r = cli.run(['rm', '-f', id]);
    assert.equal(r.status, 125, r.stderr);
    assert.match(r.stderr, /could not delete it: .*flaky: delete refused/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.equal(cli.ok(['ps', '-aq', '--no-trunc']), id, 'the record is still there, so the container can be reached');
    rmSync(marker);
    cli.ok(['rm', '-f', id]);
    assert.equal(cli.ok(['ps', '-aq']), '');
    const runcState = spawnSync('runc', ['--root', join(cli.runRoot, 'runtime'), 'state', id], { encoding: 'utf8' });
    assert.notEqual(runcState.status, 0, 'runc no longer knows the container');
  });

  it('--userns auto: root inside is an unprivileged host uid; exec, a new volume and the rootfs work for it', () => {
    // The storage root sits in a 0700 temp dir: the mapped root cannot reach its rootfs, and says so.
    const refused = cli.run(['run', '--rm', '--network', 'none', '--userns', 'auto', 'busybox', 'true']);
    assert.equal(refused.status, 125);
    assert.match(refused.stderr, /^berth: --userns auto: the container's root \(an unprivileged host uid\) cannot pass through .* \(mode 700\)/);
    assert.equal(refused.stderr.trim().split('\n').length, 1);
    assert.equal(cli.ok(['ps', '-aq']), '');
    chmodSync(cli.base, 0o711);
    try {
      const id = cli.ok(['run', '-d', '--network', 'none', '--userns', 'auto', '-v', 'nsvol:/data', 'busybox', 'sleep', '60']);
      const pid = cli.inspect(id).State.Pid as number;
      // on the host: the first id of the range (/etc/subuid's for user berth, else 100000)
      const range = allocateUserNamespaceRange();
      const u = range.uid.start;
      assert.match(readFileSync(`/proc/${pid}/status`, 'utf8'), new RegExp(`^Uid:\\s+${u}\\s+${u}\\s+${u}\\s+${u}$`, 'm'));
      assert.equal(cli.inspect(id).HostConfig.UsernsMode, 'auto');
      const inside = cli.ok(['exec', id, 'sh', '-c', 'id -u; cat /proc/self/uid_map; touch /data/x /made-in-rootfs && stat -c %u /data/x /bin/busybox']);
      assert.deepEqual(inside.split(/\s+/), ['0', '0', String(u), String(range.uid.count), '0', '0']);
      // commit gives the layer the owners the container saw, not the shifted host ids
      cli.ok(['commit', id, 'localhost/nsimg:1']);
      assert.deepEqual(cli.ok(['run', '--rm', '--network', 'none', 'localhost/nsimg:1', 'stat', '-c', '%u', '/made-in-rootfs', '/bin/busybox']).split('\n'), ['0', '0']);
      cli.ok(['rmi', 'localhost/nsimg:1']);
      cli.ok(['rm', '-f', id]);
      assert.equal(cli.ok(['ps', '-aq']), '');
    } finally {
      chmodSync(cli.base, 0o700);
    }
    const bad = cli.run(['run', '--rm', '--userns', 'keep-id', 'busybox', 'true']);
    assert.equal(bad.status, 125);
    assert.match(bad.stderr, /--userns keep-id: only "host" and "auto" are supported/);
  });

  it('start --all-restartable brings back restart=always containers', () => {
    const id = cli.ok(['create', '--network', 'none', '--restart', 'always', 'busybox', 'sleep', '60']);
    const other = cli.ok(['create', '--network', 'none', 'busybox', 'sleep', '60']);
    assert.equal(cli.ok(['start', '--all-restartable']), id);
    assert.equal(cli.inspect(id).State.Running, true);
    assert.equal(cli.inspect(other).State.Running, false);
    cli.ok(['rm', '-f', id, other]);
  });
});
