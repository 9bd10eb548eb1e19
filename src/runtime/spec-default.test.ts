import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { validateSpec } from '../oci/validate-spec.js';
import { defaultSpec } from './spec-default.js';

/** `runc spec [--rootless]` in a fresh directory, or undefined when runc is not installed. */
function runcSpec(rootless: boolean): Record<string, unknown> | undefined {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-spec-'));
  try {
    execFileSync('runc', ['spec', ...(rootless ? ['--rootless'] : [])], { cwd: dir, stdio: 'ignore' });
    return JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('the default spec is valid, with the runc choices', () => {
  const s = defaultSpec();
  validateSpec(JSON.parse(JSON.stringify(s)));
  assert.deepEqual(s.process?.args, ['sh']);
  assert.equal(s.process?.terminal, true);
  assert.deepEqual(s.process?.capabilities?.bounding, ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE']);
  assert.equal(s.process?.capabilities?.inheritable, undefined);
  assert.deepEqual(s.process?.rlimits, [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }]);
  assert.deepEqual(s.mounts?.map((m) => m.destination), ['/proc', '/dev', '/dev/pts', '/dev/shm', '/dev/mqueue', '/sys', '/sys/fs/cgroup']);
  assert.deepEqual(s.linux?.namespaces?.map((n) => n.type), ['pid', 'network', 'ipc', 'uts', 'mount']);
  assert.deepEqual(s.linux?.resources, { devices: [{ allow: false, access: 'rwm' }] });
});

test('the rootless default spec is valid: user namespace, no network namespace, /sys bound', () => {
  const s = defaultSpec({ rootless: true, hostUid: 1000, hostGid: 100 });
  validateSpec(JSON.parse(JSON.stringify(s)));
  assert.deepEqual(s.linux?.namespaces?.map((n) => n.type), ['pid', 'ipc', 'uts', 'mount', 'user']);
  assert.deepEqual(s.linux?.uidMappings, [{ containerID: 0, hostID: 1000, size: 1 }]);
  assert.deepEqual(s.linux?.gidMappings, [{ containerID: 0, hostID: 100, size: 1 }]);
  assert.equal(s.linux?.resources, undefined);
  assert.deepEqual(s.mounts?.[5], { destination: '/sys', type: 'none', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] });
  assert.ok(!s.mounts?.[2]?.options?.includes('gid=5'));
});

for (const rootless of [false, true]) {
  test(`equals \`runc spec${rootless ? ' --rootless' : ''}\` apart from ociVersion`, (t) => {
    const theirs = runcSpec(rootless);
    if (!theirs) {
      t.skip('runc is not installed');
      return;
    }
    const ours = JSON.parse(JSON.stringify(defaultSpec({ rootless }))) as Record<string, unknown>;
    delete ours['ociVersion'];
    delete theirs['ociVersion'];
    assert.deepEqual(ours, theirs);
  });
}
