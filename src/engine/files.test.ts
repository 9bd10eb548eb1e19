import { test } from 'node:test';
import assert from 'node:assert/strict';
import { unshiftOwners } from './files.js';

test('unshiftOwners: ids inside the user namespace range go back to container ids, others stay', () => {
  const maps = { uid: [{ containerID: 0, hostID: 100000, size: 65536 }], gid: [{ containerID: 0, hostID: 200000, size: 65536 }] };
  const entries = [
    { entry: { name: 'a', type: 'file' as const, uid: 100000, gid: 200005 } },
    { entry: { name: 'b', type: 'dir' as const, uid: 100999, gid: 0 } },
    { entry: { name: 'c', type: 'file' as const, uid: 5, gid: 300000 } },
  ];
  assert.deepEqual(unshiftOwners(entries, maps).map((e) => [e.entry.uid, e.entry.gid]), [[0, 5], [999, 0], [5, 300000]]);
  assert.equal(unshiftOwners(entries, undefined), entries);
});
