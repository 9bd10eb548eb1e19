// The CNI client against fake plugins: small scripts in a temporary CNI_PATH that log what
// they were given. No root and no real networking needed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, chmodSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CniClient } from './client.js';
import { parseConfList } from './conflist-load.js';
import { isBerthError } from '../../errors.js';

let dir: string;
let pluginDir: string;
let cacheDir: string;

const FAKE = `#!${process.execPath}
const fs = require('node:fs');
const path = require('node:path');
const type = path.basename(process.argv[1]);
const stdin = fs.readFileSync(0, 'utf8');
const conf = stdin ? JSON.parse(stdin) : {};
const env = {};
for (const k of ['CNI_COMMAND','CNI_CONTAINERID','CNI_NETNS','CNI_IFNAME','CNI_ARGS','CNI_PATH']) env[k] = process.env[k];
fs.appendFileSync(path.join(path.dirname(process.argv[1]), '..', 'log.jsonl'), JSON.stringify({ type, env, conf }) + '\\n');
const cmd = process.env.CNI_COMMAND;
if (cmd === 'VERSION') { process.stdout.write(JSON.stringify({ cniVersion: '1.0.0', supportedVersions: ['0.4.0', '1.0.0'] })); process.exit(0); }
if (type === 'fake-fail' && cmd === 'ADD') {
  process.stdout.write(JSON.stringify({ cniVersion: '1.0.0', code: 7, msg: 'failed to allocate for range 0', details: 'no IP addresses\\navailable in range set' }));
  process.exit(1);
}
if (type === 'fake-garbage' && cmd === 'ADD') { process.stderr.write('warming up\\nsegmentation fault\\n'); process.exit(2); }
if (cmd !== 'ADD') process.exit(0);
if (type === 'fake-bridge') {
  process.stdout.write(JSON.stringify({ cniVersion: conf.cniVersion,
    interfaces: [{ name: 'br0', mac: '00:11:22:33:44:55' }, { name: 'eth0', mac: '00:11:22:33:44:66', sandbox: process.env.CNI_NETNS }],
    ips: [{ address: '10.213.7.2/24', gateway: '10.213.7.1', interface: 1 }],
    routes: [{ dst: '0.0.0.0/0' }], dns: { nameservers: ['10.213.7.1'] } }));
} else if (type === 'fake-old') {
  process.stdout.write(JSON.stringify({ cniVersion: '0.4.0', interfaces: [{ name: 'eth0', sandbox: '/x' }],
    ips: [{ version: '4', address: '10.213.8.2/24', gateway: '10.213.8.1', interface: 0 }] }));
} else {
  process.stdout.write(JSON.stringify(conf.prevResult));
}
`;

function log(): Array<{ type: string; env: Record<string, string | undefined>; conf: Record<string, unknown> }> {
  const file = join(dir, 'log.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
}

function clearLog(): void {
  rmSync(join(dir, 'log.jsonl'), { force: true });
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-cni-'));
  pluginDir = join(dir, 'bin');
  cacheDir = join(dir, 'cache');
  mkdirSync(pluginDir);
  for (const name of ['fake-bridge', 'fake-pass', 'fake-ports', 'fake-fail', 'fake-garbage', 'fake-old']) {
    writeFileSync(join(pluginDir, name), FAKE);
    chmodSync(join(pluginDir, name), 0o755);
  }
  // Forks a child that would outlive a plain kill of the shell: the timeout must take both.
  writeFileSync(join(pluginDir, 'fake-hang'), `#!/bin/sh\necho $$ > ${dir}/hang.pid\nsleep 30 &\necho $! > ${dir}/hang-child.pid\nwait\n`);
  chmodSync(join(pluginDir, 'fake-hang'), 0o755);
});

after(() => rmSync(dir, { recursive: true, force: true }));


function client(plugins: Array<Record<string, unknown>>, extra: { timeoutMs?: number; cniVersion?: string } = {}): CniClient {
  const conf = parseConfList({ cniVersion: extra.cniVersion ?? '1.0.0', name: 'berthtest', plugins });
  return new CniClient(conf, { pluginDirs: [join(dir, 'nowhere'), pluginDir], cacheDir, timeoutMs: extra.timeoutMs ?? 10_000 });
}

test('ADD chains prevResult, sets CNI_* env, sends runtimeConfig only to declaring plugins, caches', async () => {
  clearLog();
  const c = client([
    { type: 'fake-bridge', bridge: 'br0', name: 'ignored', cniVersion: '0.3.1' },
    { type: 'fake-ports', capabilities: { portMappings: true, bandwidth: false } },
    { type: 'fake-pass' },
  ]);
  const ports = [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' as const }];
  const att = await c.add('/run/berth/netns/c1', 'c1', 'eth0', {
    args: { IgnoreUnknown: '1', K8S_POD_NAME: 'p' },
    capabilityArgs: { portMappings: ports, bandwidth: { ingressRate: 1000 } },
  });
  assert.equal(att.result.ips?.[0]?.address, '10.213.7.2/24');
  assert.equal(att.result.interfaces?.[1]?.sandbox, '/run/berth/netns/c1');
  const calls = log();
  assert.deepEqual(calls.map((x) => `${x.env.CNI_COMMAND} ${x.type}`), ['ADD fake-bridge', 'ADD fake-ports', 'ADD fake-pass']);
  const [bridge, ports2, pass] = calls;
  assert.equal(bridge!.env.CNI_CONTAINERID, 'c1');
  assert.equal(bridge!.env.CNI_NETNS, '/run/berth/netns/c1');
  assert.equal(bridge!.env.CNI_IFNAME, 'eth0');
  assert.equal(bridge!.env.CNI_ARGS, 'IgnoreUnknown=1;K8S_POD_NAME=p');
  assert.equal(bridge!.env.CNI_PATH, `${join(dir, 'nowhere')}:${pluginDir}`);
  // The list's name and version replace the plugin's own.
  assert.equal(bridge!.conf.name, 'berthtest');
  assert.equal(bridge!.conf.cniVersion, '1.0.0');
  assert.equal(bridge!.conf.prevResult, undefined);
  assert.equal(bridge!.conf.runtimeConfig, undefined);
  assert.deepEqual(ports2!.conf.runtimeConfig, { portMappings: ports });
  assert.deepEqual(ports2!.conf.prevResult, att.raw);
  assert.deepEqual(pass!.conf.prevResult, att.raw);
  assert.ok(existsSync(c.cache.file('berthtest', 'c1', 'eth0')));

  clearLog();
  await c.check('/run/berth/netns/c1', 'c1', 'eth0');
  const checks = log();
  assert.deepEqual(checks.map((x) => `${x.env.CNI_COMMAND} ${x.type}`), ['CHECK fake-bridge', 'CHECK fake-ports', 'CHECK fake-pass']);
  for (const x of checks) assert.deepEqual(x.conf.prevResult, att.raw);
  // CHECK reuses ADD's capability arguments.
  assert.deepEqual(checks[1]!.conf.runtimeConfig, { portMappings: ports });

  clearLog();
  await c.del('/run/berth/netns/c1', 'c1', 'eth0');
  const dels = log();
  assert.deepEqual(dels.map((x) => `${x.env.CNI_COMMAND} ${x.type}`), ['DEL fake-pass', 'DEL fake-ports', 'DEL fake-bridge']);
  for (const x of dels) assert.deepEqual(x.conf.prevResult, att.raw);
  assert.deepEqual(dels[1]!.conf.runtimeConfig, { portMappings: ports });
  assert.equal(dels[0]!.env.CNI_ARGS, 'IgnoreUnknown=1;K8S_POD_NAME=p');
  assert.ok(!existsSync(c.cache.file('berthtest', 'c1', 'eth0')));

  // DEL with nothing cached (already deleted) still runs, without prevResult.
  clearLog();
  await c.del('', 'c1', 'eth0');
  assert.ok(log().every((x) => x.conf.prevResult === undefined));
});

test('a plugin error object becomes one clear line, and a failed ADD is rolled back', async () => {
  clearLog();
  const c = client([{ type: 'fake-bridge' }, { type: 'fake-fail' }, { type: 'fake-pass' }]);
  await assert.rejects(c.add('/run/x', 'c2', 'eth0'), (e: unknown) => {
    assert.ok(isBerthError(e, 'BERTH_ENETWORK'));
    assert.equal(e.message, 'network "berthtest": plugin fake-fail: failed to allocate for range 0: no IP addresses available in range set');
    assert.equal(e.detail?.cniCode, 7);
    return true;
  });
  assert.deepEqual(log().map((x) => `${x.env.CNI_COMMAND} ${x.type}`), [
    'ADD fake-bridge', 'ADD fake-fail', 'DEL fake-pass', 'DEL fake-fail', 'DEL fake-bridge',
  ]);
  assert.ok(!existsSync(c.cache.file('berthtest', 'c2', 'eth0')));
});

test('a plugin failing without an error object is reported by its last stderr line', async () => {
  const c = client([{ type: 'fake-garbage' }]);
  await assert.rejects(c.add('/run/x', 'c3', 'eth0'), (e: unknown) => {
    assert.equal((e as Error).message, 'network "berthtest": plugin fake-garbage: ADD failed: segmentation fault');
    return true;
  });
});

test('a missing plugin is named with the search path', async () => {
  const c = client([{ type: 'nosuchplugin' }]);
  await assert.rejects(c.add('/run/x', 'c4', 'eth0'), /plugin nosuchplugin: not found in /);
});

test('a hanging plugin is killed at the timeout, with whatever it forked', async () => {
  const c = client([{ type: 'fake-hang' }], { timeoutMs: 500 });
  const t0 = Date.now();
  await assert.rejects(c.add('/run/x', 'c5', 'eth0'), /plugin fake-hang: ADD timed out after 0.5s; the plugin was killed/);
  assert.ok(Date.now() - t0 < 5000);
  const childPid = Number(readFileSync(join(dir, 'hang-child.pid'), 'utf8'));
  await new Promise((r) => setTimeout(r, 100));
  // Gone, or a zombie waiting for whichever init adopted it.
  let state = 'gone';
  try {
    const stat = readFileSync(`/proc/${childPid}/stat`, 'utf8');
    state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    // gone
  }
  assert.ok(state === 'gone' || state === 'Z', `forked child still running (state ${state})`);
});

test('an 0.4.0 result is converted to 1.0 for berth but chained verbatim', async () => {
  clearLog();
  const c = client([{ type: 'fake-old' }, { type: 'fake-pass' }], { cniVersion: '0.4.0' });
  const att = await c.add('/run/x', 'c6', 'eth0');
  assert.deepEqual(att.result, {
    cniVersion: '1.0.0',
    interfaces: [{ name: 'eth0', sandbox: '/x' }],
    ips: [{ address: '10.213.8.2/24', gateway: '10.213.8.1', interface: 0 }],
  });
  assert.equal((log()[1]!.conf.prevResult as { ips: Array<{ version: string }> }).ips[0]!.version, '4');
  await c.del('/run/x', 'c6', 'eth0');
});

test('VERSION and validate', async () => {
  const c = client([{ type: 'fake-bridge' }, { type: 'fake-pass' }]);
  assert.deepEqual(await c.version('fake-bridge'), { cniVersion: '1.0.0', supportedVersions: ['0.4.0', '1.0.0'] });
  await c.validate();
  const old = client([{ type: 'fake-bridge' }], { cniVersion: '0.3.1' });
  await assert.rejects(old.validate(), /does not support cniVersion 0.3.1/);
});

test('attachment arguments are validated before any plugin runs', async () => {
  const c = client([{ type: 'fake-pass' }]);
  await assert.rejects(c.add('/run/x', '../etc', 'eth0'), (e: unknown) => isBerthError(e, 'BERTH_EINVAL'));
  await assert.rejects(c.add('/run/x', 'c7', 'a/b'), (e: unknown) => isBerthError(e, 'BERTH_EINVAL'));
  await assert.rejects(c.add('relative', 'c7', 'eth0'), (e: unknown) => isBerthError(e, 'BERTH_EINVAL'));
  await assert.rejects(c.add('/run/x', 'c7', 'eth0', { args: { 'A;B': '1' } }), (e: unknown) => isBerthError(e, 'BERTH_EINVAL'));
});

test('CHECK without a prior ADD says so', async () => {
  const c = client([{ type: 'fake-pass' }]);
  await assert.rejects(c.check('/run/x', 'never', 'eth0'), /no cached result for container never/);
});
