// The conformance suite every snapshotter must pass. It mounts what mounts() returns with mount(8),
// as the runtime would, so it needs root; each test has its own temp root and unmounts in finally.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isBerthError, type ErrorCode } from '../errors.js';
import type { Mount, Snapshotter } from './snapshotter.js';

export type SnapshotterFactory = (root: string) => Snapshotter;

const isRoot = process.getuid?.() === 0;

function mountAll(mounts: Mount[], target: string): void {
  for (const m of mounts) execFileSync('mount', ['-t', m.type, '-o', m.options.join(','), m.source, target]);
}

/** Mount, run fn on the mounted tree, always unmount. */
async function withMounted<T>(mounts: Mount[], fn: (dir: string) => T | Promise<T>): Promise<T> {
  const target = mkdtempSync(join(tmpdir(), 'berth-mnt-'));
  mountAll(mounts, target);
  try {
    return await fn(target);
  } finally {
    for (let i = 0; i < mounts.length; i++) execFileSync('umount', [target]);
    rmSync(target, { recursive: true, force: true });
  }
}

function code(c: ErrorCode): (e: unknown) => boolean {
  return (e: unknown) => isBerthError(e, c);
}

export function snapshotterSuite(name: string, factory: SnapshotterFactory): void {
  describe(`snapshotter conformance: ${name}`, { skip: isRoot ? false : 'needs root for mount(8)' }, () => {
    // Short temp roots keep overlay's lowerdir strings small enough for deep stacks.
    const withRoot = (fn: (s: Snapshotter, root: string) => Promise<void>) => async () => {
      const root = mkdtempSync('/tmp/bs-');
      try {
        await fn(factory(root), root);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    };

    test('prepare, write, commit, then a child sees and changes the parent', withRoot(async (s) => {
      await withMounted(await s.prepare('k1'), (d) => {
        writeFileSync(join(d, 'a'), 'A');
        writeFileSync(join(d, 'gone'), 'G');
        mkdirSync(join(d, 'dir'));
        writeFileSync(join(d, 'dir', 'x'), 'X');
        symlinkSync('a', join(d, 'link'));
      });
      await s.commit('layer1', 'k1');
      await assert.rejects(s.stat('k1'), code('BERTH_ENOSNAPSHOT'));
      assert.equal((await s.stat('layer1')).kind, 'committed');

      await withMounted(await s.prepare('k2', 'layer1'), (d) => {
        assert.equal(readFileSync(join(d, 'a'), 'utf8'), 'A');
        assert.equal(readFileSync(join(d, 'dir', 'x'), 'utf8'), 'X');
        assert.equal(readlinkSync(join(d, 'link')), 'a');
        writeFileSync(join(d, 'a'), 'A2');
        rmSync(join(d, 'gone'));
        writeFileSync(join(d, 'b'), 'B');
      });
      // mounts() of an active snapshot gives the same view again.
      await withMounted(await s.mounts('k2'), (d) => assert.equal(readFileSync(join(d, 'b'), 'utf8'), 'B'));
      await s.commit('layer2', 'k2');
      assert.equal((await s.stat('layer2')).parent, 'layer1');

      await withMounted(await s.view('v', 'layer2'), (d) => {
        assert.equal(readFileSync(join(d, 'a'), 'utf8'), 'A2');
        assert.equal(readFileSync(join(d, 'b'), 'utf8'), 'B');
        assert.ok(!existsSync(join(d, 'gone')));
        assert.throws(() => writeFileSync(join(d, 'c'), 'C'), /EROFS/);
      });
      // The lower layer is unchanged by its child.
      await withMounted(await s.view('v1', 'layer1'), (d) => {
        assert.equal(readFileSync(join(d, 'a'), 'utf8'), 'A');
        assert.ok(existsSync(join(d, 'gone')));
      });
      const kinds = [];
      for await (const i of s.walk()) kinds.push(`${i.key}:${i.kind}`);
      assert.deepEqual(kinds.sort(), ['layer1:committed', 'layer2:committed', 'v1:view', 'v:view']);
    }));

    test('views: empty, single parent, and a multi-layer view', withRoot(async (s) => {
      await withMounted(await s.view('empty'), (d) => assert.deepEqual(readdirSync(d), []));
      await withMounted(await s.prepare('a'), (d) => writeFileSync(join(d, 'one'), '1'));
      await s.commit('L1', 'a');
      await withMounted(await s.prepare('b', 'L1'), (d) => writeFileSync(join(d, 'two'), '2'));
      await s.commit('L2', 'b');
      await withMounted(await s.view('v', 'L2'), (d) => assert.deepEqual(readdirSync(d).sort(), ['one', 'two']));
      await assert.rejects(s.commit('nope', 'v'), code('BERTH_ESNAPSHOT'));
    }));

    test('errors: duplicate keys, missing or uncommitted parents, wrong kinds, children', withRoot(async (s) => {
      await s.prepare('x');
      await assert.rejects(s.prepare('x'), code('BERTH_ESNAPSHOT'));
      await assert.rejects(s.view('x'), code('BERTH_ESNAPSHOT'));
      await assert.rejects(s.prepare('y', 'missing'), code('BERTH_ENOSNAPSHOT'));
      await assert.rejects(s.prepare('y', 'x'), code('BERTH_ESNAPSHOT'));
      await assert.rejects(s.commit('c', 'missing'), code('BERTH_ENOSNAPSHOT'));
      await s.commit('c', 'x');
      await s.prepare('x2');
      await assert.rejects(s.commit('c', 'x2'), code('BERTH_ESNAPSHOT'));
      await assert.rejects(s.mounts('c'), code('BERTH_ESNAPSHOT'));
      await assert.rejects(s.mounts('missing'), code('BERTH_ENOSNAPSHOT'));
      await assert.rejects(s.usage('missing'), code('BERTH_ENOSNAPSHOT'));
      await assert.rejects(s.remove('missing'), code('BERTH_ENOSNAPSHOT'));
      await assert.rejects(s.prepare(''), code('BERTH_EINVAL'));
      await s.prepare('child', 'c');
      await assert.rejects(s.remove('c'), code('BERTH_ESNAPSHOT'));
      // A failed prepare leaves no record behind.
      const keys = [];
      for await (const i of s.walk()) keys.push(i.key);
      assert.deepEqual(keys.sort(), ['c', 'child', 'x2']);
    }));

    test('keys may be chain IDs and carry labels', withRoot(async (s) => {
      const chain = `sha256:${'c'.repeat(64)}`;
      await s.prepare('extract-1 ' + chain, undefined, { labels: { 'berth.io/diff-id': 'd' } });
      assert.deepEqual((await s.stat('extract-1 ' + chain)).labels, { 'berth.io/diff-id': 'd' });
      await s.commit(chain, 'extract-1 ' + chain);
      assert.deepEqual((await s.stat(chain)).labels, { 'berth.io/diff-id': 'd' });
    }));

    test('usage counts the snapshot’s own bytes and inodes', withRoot(async (s) => {
      await withMounted(await s.prepare('u'), (d) => {
        writeFileSync(join(d, 'big'), Buffer.alloc(1 << 20, 1));
        mkdirSync(join(d, 'd'));
        writeFileSync(join(d, 'd', 'small'), 'x');
      });
      const u = await s.usage('u');
      assert.ok(u.size >= 1 << 20, `size ${u.size}`);
      assert.ok(u.inodes >= 4, `inodes ${u.inodes}`);
      const empty = await s.usage((await s.prepare('e'), 'e'));
      assert.ok(empty.size < 1 << 20);
    }));

    test('remove and cleanup leave no directories behind', withRoot(async (s, root) => {
      await s.prepare('a');
      await s.commit('A', 'a');
      await s.prepare('b', 'A');
      await s.view('v', 'A');
      mkdirSync(join(root, 'snapshots', 'orphan-from-crash', 'fs'), { recursive: true });
      await s.cleanup();
      assert.ok(!existsSync(join(root, 'snapshots', 'orphan-from-crash')));
      await s.remove('b');
      await s.remove('v');
      await s.remove('A');
      const left = [];
      for await (const i of s.walk()) left.push(i);
      assert.deepEqual(left, []);
      assert.deepEqual(readdirSync(join(root, 'snapshots')), []);
    }));

    test('a stack of 120 layers mounts and shows every layer', withRoot(async (s) => {
      const depth = 120;
      let parent: string | undefined;
      for (let i = 0; i < depth; i++) {
        const key = `extract-${i}`;
        const mounts = await s.prepare(key, parent);
        // Writing through a mount would cost 120 mounts; the suite's first test covers that path,
        // so here the layer content goes straight into the snapshot's own tree where supported.
        const dir = (s as Snapshotter & { dir?: (k: string) => Promise<string> }).dir;
        if (dir !== undefined) {
          const fs = await dir.call(s, key);
          writeFileSync(join(fs, `f${i}`), String(i));
          writeFileSync(join(fs, 'top'), String(i));
        } else {
          await withMounted(mounts, (d) => {
            writeFileSync(join(d, `f${i}`), String(i));
            writeFileSync(join(d, 'top'), String(i));
          });
        }
        const name = `sha256:${i.toString(16).padStart(64, '0')}`;
        await s.commit(name, key);
        parent = name;
      }
      const top = await s.prepare('container', parent);
      await withMounted(top, (d) => {
        for (let i = 0; i < depth; i++) assert.equal(readFileSync(join(d, `f${i}`), 'utf8'), String(i));
        assert.equal(readFileSync(join(d, 'top'), 'utf8'), String(depth - 1));
        writeFileSync(join(d, 'new'), 'n');
      });
    }));
  });
}
