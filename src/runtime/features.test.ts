import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import type { Features } from '../oci/runtime-spec.js';
import { isSupportedOciVersion } from '../oci/validate-spec.js';
import { kernelAtLeast, runtimeFeatures } from './features.js';

function runcFeatures(): Features | undefined {
  try {
    return JSON.parse(execFileSync('runc', ['features'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })) as Features;
  } catch {
    return undefined;
  }
}

test('features advertise what the validator and the plan accept', () => {
  const f = runtimeFeatures({ version: '0.1.0', kernelRelease: '6.1.0-18-amd64' });
  assert.ok(isSupportedOciVersion(f.ociVersionMin!));
  assert.ok(isSupportedOciVersion(f.ociVersionMax!));
  assert.deepEqual(f.hooks, ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop']);
  assert.deepEqual(f.linux?.namespaces, ['cgroup', 'ipc', 'mount', 'network', 'pid', 'time', 'user', 'uts']);
  assert.equal(f.linux?.capabilities?.length, 41);
  assert.deepEqual(f.linux?.cgroup, { v1: true, v2: true, systemd: false, systemdUser: false });
  assert.deepEqual(f.linux?.apparmor, { enabled: false });
  assert.deepEqual(f.linux?.selinux, { enabled: false });
  assert.ok(f.mountOptions?.includes('rbind'));
  assert.ok(!f.mountOptions?.includes('rro'), 'recursive attributes are refused, so not advertised');
  assert.equal(f.linux?.seccomp?.supportedFlags?.length, 4);
  assert.equal(runtimeFeatures({ kernelRelease: '5.10.0' }).linux?.seccomp?.supportedFlags?.length, 3);
  assert.deepEqual(f.annotations, { 'dev.berth.runtime.version': '0.1.0' });
});

test('kernelAtLeast compares major.minor', () => {
  assert.ok(kernelAtLeast('6.1.0-18-amd64', 5, 19));
  assert.ok(kernelAtLeast('5.19.0', 5, 19));
  assert.ok(!kernelAtLeast('5.18.9', 5, 19));
  assert.ok(!kernelAtLeast('garbage', 5, 19));
});

test('same hooks, namespaces and capabilities as `runc features`; mount options a subset', (t) => {
  const theirs = runcFeatures();
  if (!theirs) {
    t.skip('runc is not installed or too old for `features`');
    return;
  }
  const ours = runtimeFeatures();
  assert.deepEqual(ours.hooks, theirs.hooks);
  assert.deepEqual(ours.linux?.capabilities, theirs.linux?.capabilities);
  // runc 1.1 predates time namespaces; everything it lists we list too.
  for (const ns of theirs.linux?.namespaces ?? []) assert.ok(ours.linux?.namespaces?.includes(ns), ns);
  assert.deepEqual(ours.linux?.seccomp?.actions, theirs.linux?.seccomp?.actions);
  assert.deepEqual(ours.linux?.seccomp?.operators, theirs.linux?.seccomp?.operators);
  const runcOpts = new Set(theirs.mountOptions);
  for (const o of ours.mountOptions ?? []) assert.ok(runcOpts.has(o), `${o} is not a runc option`);
});
