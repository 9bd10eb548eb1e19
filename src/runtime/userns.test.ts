import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Spec } from '../oci/runtime-spec.js';
import { ROOTFS_IDMAP_ANNOTATION } from './plan/build-plan.js';
import { allocateUserNamespaceRange, DEFAULT_USERNS_RANGE, parseSubIdFile, userNamespacedSpec } from './userns.js';

describe('parseSubIdFile', () => {
  it('returns the ranges of the user in file order, skipping others and malformed lines', () => {
    const text = '# comment\nalice:100000:65536\nberth:200000:65536\nberth:x:1\nberth:300000:1000\n\nberth:1:2:3\n1001:400000:65536\n';
    assert.deepEqual(parseSubIdFile(text, 'berth'), [{ start: 200000, count: 65536 }, { start: 300000, count: 1000 }]);
    assert.deepEqual(parseSubIdFile(text, '1001'), [{ start: 400000, count: 65536 }]);
    assert.deepEqual(parseSubIdFile(text, 'nobody'), []);
  });
});

describe('allocateUserNamespaceRange', () => {
  const files = (m: Record<string, string>) => (p: string): string | undefined => m[p];
  it('falls back to the documented default without /etc/subuid and /etc/subgid', () => {
    const r = allocateUserNamespaceRange({ readFile: files({}) });
    assert.deepEqual(r, { uid: DEFAULT_USERNS_RANGE, gid: DEFAULT_USERNS_RANGE, source: 'default' });
  });
  it('takes the first range that fits from each file', () => {
    const r = allocateUserNamespaceRange({
      user: 'berth', size: 65536,
      readFile: files({ '/etc/subuid': 'berth:10:5\nberth:500000:70000\n', '/etc/subgid': 'berth:600000:65536\n' }),
    });
    assert.deepEqual(r, { uid: { start: 500000, count: 65536 }, gid: { start: 600000, count: 65536 }, source: 'subid' });
  });
  it('without a range of its own: the default when no one else holds any of its ids (empty files, as Debian leaves them)', () => {
    assert.deepEqual(allocateUserNamespaceRange({ user: 'berth', readFile: files({ '/etc/subuid': '', '/etc/subgid': '' }) }),
      { uid: DEFAULT_USERNS_RANGE, gid: DEFAULT_USERNS_RANGE, source: 'default' });
    assert.deepEqual(allocateUserNamespaceRange({ user: 'berth', readFile: files({ '/etc/subuid': 'berth:1:10\nalice:300000:65536\n', '/etc/subgid': '' }) }).source, 'default');
  });
  it('refuses when the user has no range that fits and the default belongs to someone else', () => {
    assert.throws(() => allocateUserNamespaceRange({ user: 'berth', readFile: files({ '/etc/subuid': 'berth:1:10\nalice:100000:65536\n', '/etc/subgid': '' }) }),
      /\/etc\/subuid: no range of 65536 ids for user "berth" \(add a line berth:START:65536/);
    assert.throws(() => allocateUserNamespaceRange({ user: 'berth', readFile: files({ '/etc/subuid': 'berth:500000:65536\n', '/etc/subgid': 'bob:150000:10\n' }) }),
      /\/etc\/subgid: no range/);
  });
});

describe('userNamespacedSpec', () => {
  const base = (): Spec => ({ ociVersion: '1.0.2', root: { path: 'rootfs' }, linux: { namespaces: [{ type: 'pid' }, { type: 'mount' }] } } as Spec);
  const range = { uid: { start: 100000, count: 65536 }, gid: { start: 200000, count: 65536 }, source: 'default' as const };
  it('adds a user namespace, maps root to the range, and asks for an id-mapped rootfs', () => {
    const s = userNamespacedSpec(base(), range, 'idmap');
    assert.deepEqual(s.linux?.namespaces?.map((n) => n.type), ['pid', 'mount', 'user']);
    assert.deepEqual(s.linux?.uidMappings, [{ containerID: 0, hostID: 100000, size: 65536 }]);
    assert.deepEqual(s.linux?.gidMappings, [{ containerID: 0, hostID: 200000, size: 65536 }]);
    assert.equal(s.annotations?.[ROOTFS_IDMAP_ANNOTATION], 'true');
  });
  it('with chown, sets no annotation and leaves the input alone', () => {
    const input = base();
    const s = userNamespacedSpec(input, range, 'chown');
    assert.equal(s.annotations?.[ROOTFS_IDMAP_ANNOTATION], undefined);
    assert.equal(input.linux?.uidMappings, undefined);
  });
});
