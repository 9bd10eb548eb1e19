import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, chmod, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isBerthError } from '../../errors.js';
import { findMonitorBinary } from './locate.js';
import { buildMonitorArgs, controlSocketPath, type MonitorOptions } from './options.js';
import { parseSyncLine } from './spawn.js';

const base: MonitorOptions = {
  id: 'c1',
  bundle: '/b',
  runtime: 'runc',
  logPath: '/l/ctr.log',
  attachSocket: '/r/attach',
  exitFile: '/r/exit',
  pidFile: '/r/pid',
};

test('argv carries every option in the documented flag names', () => {
  const args = buildMonitorArgs(
    {
      ...base,
      runtimeArgs: ['--root', '/state'],
      logMaxSize: 1024,
      logMaxFiles: 3,
      terminal: true,
      stdin: true,
      exitCommand: { path: '/usr/bin/berth', args: ['cleanup', 'c1'] },
      health: { intervalMs: 500, path: '/usr/bin/berth', args: ['healthcheck', 'run', 'c1'] },
    },
    3,
  );
  assert.deepEqual(args, [
    '--id', 'c1', '--bundle', '/b', '--runtime', 'runc', '--runtime-arg', '--root', '--runtime-arg', '/state',
    '--log-path', '/l/ctr.log', '--log-max-size', '1024', '--log-max-files', '3',
    '--attach-socket', '/r/attach', '--exit-file', '/r/exit', '--pid-file', '/r/pid', '--terminal', '--stdin',
    '--exit-command', '/usr/bin/berth', '--exit-command-arg', 'cleanup', '--exit-command-arg', 'c1',
    '--health-interval-ms', '500', '--health-command', '/usr/bin/berth',
    '--health-command-arg', 'healthcheck', '--health-command-arg', 'run', '--health-command-arg', 'c1',
    '--sync-fd', '3',
  ]);
});

test('minimal argv has no optional flags', () => {
  assert.deepEqual(buildMonitorArgs(base), [
    '--id', 'c1', '--bundle', '/b', '--runtime', 'runc', '--log-path', '/l/ctr.log',
    '--attach-socket', '/r/attach', '--exit-file', '/r/exit', '--pid-file', '/r/pid',
  ]);
  assert.equal(controlSocketPath('/r/attach'), '/r/attach.ctl');
});

test('helper mode adds the helper and its fd, and needs both fds', () => {
  const args = buildMonitorArgs({ ...base, execHelper: '/n/berth-nsexec' }, 3, 4);
  assert.deepEqual(args.slice(-6), ['--sync-fd', '3', '--exec-helper', '/n/berth-nsexec', '--helper-fd', '4']);
  for (const [sync, helper] of [[undefined, 4], [3, undefined], [3, 3], [3, 2]] as const) {
    assert.throws(() => buildMonitorArgs({ ...base, execHelper: '/n/berth-nsexec' }, sync, helper), (e) => isBerthError(e, 'BERTH_EINVAL'));
  }
  assert.throws(() => buildMonitorArgs({ ...base, execHelper: 'berth-nsexec' }, 3, 4), /absolute/);
});

test('bad options are refused before anything runs', () => {
  const bad: Partial<MonitorOptions>[] = [
    { bundle: 'rel/bundle' },
    { logPath: 'ctr.log' },
    { logMaxSize: -1 },
    { logMaxFiles: 0 },
    { logMaxSize: 1.5 },
    { attachSocket: `/${'x'.repeat(120)}` },
    { health: { intervalMs: 0, path: '/bin/true' } },
    { runtimeArgs: Array.from({ length: 33 }, () => 'x') },
    { id: '' },
  ];
  for (const b of bad) assert.throws(() => buildMonitorArgs({ ...base, ...b }), (e) => isBerthError(e, 'BERTH_EINVAL'), JSON.stringify(b));
});

test('readiness lines parse into pid or error', () => {
  assert.deepEqual(parseSyncLine('{"pid":12,"monitorPid":11}'), { pid: 12, monitorPid: 11 });
  assert.deepEqual(parseSyncLine('{"error":"runtime create exited with status 1: x"}'), { error: 'runtime create exited with status 1: x' });
  assert.throws(() => parseSyncLine('nope'), (e) => isBerthError(e, 'BERTH_ELAUNCH'));
  assert.throws(() => parseSyncLine('{"pid":"1"}'), (e) => isBerthError(e, 'BERTH_ELAUNCH'));
});

test('the binary is found by walking up, and the env override wins', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'bmon-locate-'));
  try {
    await mkdir(join(dir, 'native', 'build'), { recursive: true });
    await mkdir(join(dir, 'build', 'src', 'engine', 'monitor'), { recursive: true });
    const bin = join(dir, 'native', 'build', 'berth-monitor');
    await writeFile(bin, '#!/bin/sh\n');
    await chmod(bin, 0o755);
    assert.equal(findMonitorBinary({}, join(dir, 'build', 'src', 'engine', 'monitor')), bin);
    assert.equal(findMonitorBinary({ BERTH_MONITOR: bin }, '/'), bin);
    assert.throws(() => findMonitorBinary({ BERTH_MONITOR: join(dir, 'missing') }, '/'), (e) => isBerthError(e, 'BERTH_EUNSUPPORTED'));
    await rm(bin);
    assert.throws(() => findMonitorBinary({}, join(dir, 'build')), (e) => isBerthError(e, 'BERTH_EUNSUPPORTED'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
