import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isBerthError } from '../errors.js';
import { resolveInRoot, resolveUserInRoot } from './in-root.js';

function withRoot(fn: (root: string) => void): void {
  const root = mkdtempSync(join(tmpdir(), 'berth-inroot-'));
  try {
    fn(root);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

test('resolveInRoot: absolute symlinks and .. stay inside the root', () => withRoot((root) => {
  mkdirSync(join(root, 'etc'));
  writeFileSync(join(root, 'etc/passwd'), 'x');
  symlinkSync('/etc', join(root, 'abs'));
  symlinkSync('../../../../etc/passwd', join(root, 'up'));
  assert.deepEqual(resolveInRoot(root, '/abs/passwd'), { host: join(root, 'etc/passwd'), rel: ['etc', 'passwd'], inside: '/etc/passwd', exists: true });
  assert.equal(resolveInRoot(root, '/up').host, join(root, 'etc/passwd'));
  assert.equal(resolveInRoot(root, '/up', { followLast: false }).host, join(root, 'up'));
  assert.deepEqual(resolveInRoot(root, '/../../missing/x'), { host: join(root, 'missing/x'), rel: ['missing', 'x'], inside: '/missing/x', exists: false });
}));

test('resolveInRoot: a file in the middle is "missing", or an error with strictDirs; loops are errors with the caller\'s code', () => withRoot((root) => {
  writeFileSync(join(root, 'file'), 'x');
  assert.equal(resolveInRoot(root, '/file/x').exists, false);
  assert.throws(() => resolveInRoot(root, '/file/x', { strictDirs: true, code: 'BERTH_EBUILD' }), (e: unknown) => isBerthError(e, 'BERTH_EBUILD') && /is not a directory/.test(e.message));
  symlinkSync('b', join(root, 'a'));
  symlinkSync('a', join(root, 'b'));
  assert.throws(() => resolveInRoot(root, '/a'), (e: unknown) => isBerthError(e, 'BERTH_EINVAL') && /too many levels/.test(e.message));
}));

test('resolveUserInRoot: docker rules for names, ids, primary and supplementary groups', () => withRoot((root) => {
  mkdirSync(join(root, 'etc'));
  writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n');
  writeFileSync(join(root, 'etc/group'), 'root:x:0:\napp:x:1000:\nwheel:x:10:app\nstaff:x:50:\n');
  assert.deepEqual(resolveUserInRoot(root, 'app', 'BERTH_EINVAL'), { uid: 1000, gid: 1000, additionalGids: [10], home: '/home/app' });
  assert.deepEqual(resolveUserInRoot(root, 'app:staff', 'BERTH_EINVAL'), { uid: 1000, gid: 50, additionalGids: [], home: '/home/app' });
  assert.deepEqual(resolveUserInRoot(root, '4242:4243', 'BERTH_EINVAL'), { uid: 4242, gid: 4243, additionalGids: [], home: '/' });
  assert.deepEqual(resolveUserInRoot(root, '', 'BERTH_EINVAL'), { uid: 0, gid: 0, additionalGids: [], home: '/root' });
  assert.throws(() => resolveUserInRoot(root, 'ghost', 'BERTH_EBUILD', ' (USER ghost)'), (e: unknown) =>
    isBerthError(e, 'BERTH_EBUILD') && e.message === 'unable to find user ghost: no matching entries in passwd file (USER ghost)');
  assert.throws(() => resolveUserInRoot(root, 'app:nogroup', 'BERTH_EINVAL'), /unable to find group nogroup/);
}));
