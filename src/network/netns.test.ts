// Real network namespaces: needs root, util-linux and iproute2.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { createNetns, deleteNetns, execInNetns, isNetns } from './netns.js';
import { readMountTable } from '../sys/mounts.js';
import { isBerthError } from '../errors.js';

const skip = process.getuid?.() !== 0 ? 'needs root' : false;
const dir = mkdtempSync(join(tmpdir(), 'berth-netns-'));

after(() => {
  // The directory was bind-mounted onto itself by createNetns.
  while (spawnSync('mountpoint', ['-q', dir]).status === 0) spawnSync('umount', ['--lazy', dir]);
  rmSync(dir, { recursive: true, force: true });
});

test('create, use and delete a persistent network namespace', { skip }, async () => {
  const path = await createNetns('t1', { dir });
  assert.equal(path, join(dir, 't1'));
  assert.ok(await isNetns(path));
  const shared = readMountTable().filter((m) => m.mountPoint === dir).pop();
  assert.ok(shared?.propagation.some((p) => p.startsWith('shared:')), 'netns dir is a shared mount');

  const links = await execInNetns(path, ['ip', '-j', 'link', 'show']);
  assert.equal(links.code, 0, links.stderr);
  const parsed = JSON.parse(links.stdout) as Array<{ ifname: string; flags: string[] }>;
  // A fresh namespace: only loopback, and it is up.
  assert.deepEqual(parsed.map((l) => l.ifname), ['lo']);
  assert.ok(parsed[0]!.flags.includes('UP'));

  // Different namespace from ours.
  const inode = (p: string): string => spawnSync('stat', ['-L', '-c', '%i', p], { encoding: 'utf8' }).stdout.trim();
  assert.notEqual(inode(path), inode('/proc/self/ns/net'));

  await assert.rejects(createNetns('t1', { dir }), (e: unknown) => isBerthError(e, 'BERTH_ENETWORK') && /already exists/.test(e.message));

  await deleteNetns(path);
  assert.ok(!(await isNetns(path)));
  assert.ok(!existsSync(path));
  await deleteNetns(path); // idempotent
});

test('namespace names are validated', { skip }, async () => {
  await assert.rejects(createNetns('../evil', { dir }), (e: unknown) => isBerthError(e, 'BERTH_EINVAL'));
  await assert.rejects(createNetns('', { dir }), (e: unknown) => isBerthError(e, 'BERTH_EINVAL'));
});
