// A built image travels: it is pushed to a real local registry (Debian's docker-registry on
// 127.0.0.1, its own storage, killed by pid), pulled into a fresh root and run there.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { startRegistry, type TestRegistry } from '../../src/image/registry/testing.js';
import { ensureDefaultImage, isRoot, ok, tempRoot } from './images-helpers.js';
import { buildOk, makeContext, tempRoots } from './build-helpers.js';

const haveRegistry = spawnSync('which', ['docker-registry']).status === 0;

describe('berth build: push and pull the result', { skip: !isRoot ? 'needs root' : !haveRegistry ? 'docker-registry is not installed' : false }, () => {
  let reg: TestRegistry;
  before(async () => {
    ensureDefaultImage();
    reg = await startRegistry();
  });
  after(async () => { await reg?.stop(); });

  test('build, push, pull into a fresh root, run', async (t) => {
    const r = tempRoots(t);
    const ctx = makeContext(t, {
      Dockerfile: 'FROM busybox\nRUN echo "built by berth" > /greeting\nCMD ["cat", "/greeting"]\n',
    });
    const ref = `${reg.host}/berth/built:1`;
    const { id } = await buildOk(r, ['-t', ref, ctx]);
    assert.match(id, /^sha256:[0-9a-f]{64}$/);
    const pushed = await ok(r.root, ['push', ref]);
    assert.match(pushed, /@sha256:[0-9a-f]{64}/);

    const fresh = tempRoot(t);
    await ok(fresh, ['pull', '-q', ref]);
    const [pulled] = JSON.parse(await ok(fresh, ['image', 'inspect', ref]));
    assert.equal(pulled.Id, id, 'the pulled image is the built one');
    assert.equal((await ok(fresh, ['run', '--rm', '--network', 'none', ref])).trim(), 'built by berth');
  });
});
