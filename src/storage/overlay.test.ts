import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, mkdtempSync, readlinkSync, realpathSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { isBerthError } from '../errors.js';
import { OverlaySnapshotter, MOUNT_DATA_MAX } from './overlay.js';
import { snapshotterSuite } from './snapshotter-suite.js';

snapshotterSuite('overlay', (root) => new OverlaySnapshotter(root));

async function withOverlay(fn: (s: OverlaySnapshotter, root: string) => Promise<void>, linkDir?: (root: string) => string): Promise<void> {
  const root = mkdtempSync('/tmp/bs-');
  try {
    await fn(new OverlaySnapshotter(root, linkDir === undefined ? {} : { linkDir: linkDir(root) }), root);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

test('overlay mounts: bind for a base layer, overlay with short lowerdir links above it', () =>
  withOverlay(async (s, root) => {
    const base = await s.prepare('a');
    assert.deepEqual(base, [{ type: 'bind', source: join(await s.dir('a')), options: ['rbind', 'rw'] }]);
    await s.commit('A', 'a');
    await s.prepare('b', 'A');
    await s.commit('B', 'b');
    const [m] = await s.prepare('c', 'B');
    assert.equal(m?.type, 'overlay');
    const lower = m?.options.find((o) => o.startsWith('lowerdir='))?.slice('lowerdir='.length).split(':') ?? [];
    assert.equal(lower.length, 2);
    for (const l of lower) {
      assert.match(l, new RegExp(`^${root}/l/[a-z0-9]{6}$`));
      assert.ok(lstatSync(l).isSymbolicLink());
      assert.ok(!readlinkSync(l).startsWith('/'), 'links are relative so the store can move');
    }
    // Nearest parent first.
    assert.equal(realpathSync(lower[0] as string), realpathSync(await s.dir('B')));
    assert.equal(realpathSync(lower[1] as string), realpathSync(await s.dir('A')));
    const upper = `upperdir=${await s.dir('c')}`;
    assert.ok(m?.options.some((o) => o === upper));
    assert.ok(m?.options.some((o) => o.startsWith('workdir=') && o.endsWith('/work')));
    const [v] = await s.view('v', 'A');
    assert.deepEqual(v?.options, ['rbind', 'ro']);
  }));

test('overlay refuses a stack whose options do not fit one page, naming the sizes', () =>
  withOverlay(
    async (s) => {
      let parent: string | undefined;
      let failedAt = -1;
      for (let i = 0; i < 200 && failedAt < 0; i++) {
        try {
          await s.prepare(`k${i}`, parent);
        } catch (e) {
          assert.ok(isBerthError(e, 'BERTH_EUNSUPPORTED'), String(e));
          assert.match(e.message, new RegExp(`overlay options are \\d+ bytes, over the ${MOUNT_DATA_MAX}-byte mount limit`));
          failedAt = i;
          break;
        }
        await s.commit(`L${i}`, `k${i}`);
        parent = `L${i}`;
      }
      assert.ok(failedAt > 10 && failedAt < 40, `failed at ${failedAt}`);
      // The failed prepare left no record.
      await assert.rejects(s.stat(`k${failedAt}`), (e: unknown) => isBerthError(e, 'BERTH_ENOSNAPSHOT'));
    },
    (root) => join(root, 'a-very-long-link-directory-name'.repeat(4)),
  ));
