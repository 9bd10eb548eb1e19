import { test } from 'node:test';
import assert from 'node:assert/strict';
import { effectiveDeviceRules, ALWAYS_ALLOWED } from './device-rules.js';
import type { Spec } from '../../oci/runtime-spec.js';

test('deny-all from the spec is followed by the default devices and the spec devices', () => {
  const spec: Spec = {
    ociVersion: '1.2.0',
    linux: {
      resources: { devices: [{ allow: false, access: 'rwm' }] },
      devices: [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229 }],
    },
  };
  const rules = effectiveDeviceRules(spec)!;
  assert.deepEqual(rules[0], { allow: false, access: 'rwm' });
  assert.deepEqual(rules.slice(1, 1 + ALWAYS_ALLOWED.length), ALWAYS_ALLOWED);
  assert.deepEqual(rules.at(-1), { allow: true, type: 'c', major: 10, minor: 229, access: 'rwm' });
  assert.ok(rules.some((r) => r.type === 'c' && r.major === 1 && r.minor === 3 && r.allow), '/dev/null allowed');
});

test('no device rules and no devices leave the devices cgroup alone', () => {
  assert.equal(effectiveDeviceRules({ ociVersion: '1.2.0', linux: {} }), undefined);
});
