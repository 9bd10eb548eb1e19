// Push and pull through a real registry (Debian's docker-registry on 127.0.0.1, its own storage,
// killed by pid), cross-checked with skopeo; basic auth through `berth login`.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startRegistry, type TestRegistry } from '../../src/image/registry/testing.js';
import { berth, ensureDefaultImage, imageIds, isRoot, ok, sh, tempRoot } from './images-helpers.js';

const haveRegistry = spawnSync('which', ['docker-registry']).status === 0;

/** A bcrypt htpasswd line, from apache2-utils' htpasswd or else Python's crypt module. */
function htpasswdLine(user: string, password: string): string | undefined {
  const h = spawnSync('htpasswd', ['-nbB', user, password], { encoding: 'utf8' });
  if (h.status === 0) return h.stdout.trim();
  const py = spawnSync('python3', ['-W', 'ignore', '-c', 'import crypt,sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH)))', password], { encoding: 'utf8' });
  if (py.status === 0 && py.stdout.startsWith('$2')) return `${user}:${py.stdout.trim()}`;
  return undefined;
}

describe('images: registry', { skip: !isRoot ? 'needs root' : !haveRegistry ? 'docker-registry is not installed' : false }, () => {
  let reg: TestRegistry;
  let id: string;
  let diffIds: string[];
  before(async () => {
    ensureDefaultImage();
    reg = await startRegistry();
  });
  after(async () => { await reg?.stop(); });

  test('push, skopeo inspects it, pull into a fresh root gives the same image', async (t) => {
    const root = tempRoot(t);
    const [img] = JSON.parse(await ok(root, ['image', 'inspect', 'busybox']));
    id = img.Id;
    diffIds = img.RootFS.Layers;
    const pushed = await ok(root, ['push', 'busybox', `${reg.host}/berth/busybox:1`]);
    const digest = /@(sha256:[a-f0-9]{64})/.exec(pushed)?.[1];
    assert.ok(digest, pushed);
    const si = JSON.parse(sh('skopeo', ['inspect', '--tls-verify=false', `docker://${reg.host}/berth/busybox:1`]));
    assert.equal(si.Digest, digest);
    assert.equal(si.Layers.length, 1);
    const fresh = tempRoot(t);
    const out = await berth(fresh, ['pull', `${reg.host}/berth/busybox:1`]);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stderr, /Pull complete/);
    const [pulled] = JSON.parse(await ok(fresh, ['image', 'inspect', `${reg.host}/berth/busybox:1`]));
    assert.equal(pulled.Id, id);
    assert.deepEqual(pulled.RootFS.Layers, diffIds);
    assert.deepEqual(pulled.RepoDigests, [`${reg.host}/berth/busybox@${digest}`]);
    // By digest, too; and a second push of the same image uploads nothing.
    await ok(fresh, ['pull', '-q', `${reg.host}/berth/busybox@${digest}`]);
    const again = await berth(root, ['push', 'busybox', `${reg.host}/berth/busybox:1`]);
    assert.match(again.stderr, /already exists/);
  });

  test('a push to another repository of the same registry mounts the blobs; chunked uploads work', async (t) => {
    const root = tempRoot(t);
    await ok(root, ['pull', '-q', `${reg.host}/berth/busybox:1`]);
    const mounted = await berth(root, ['push', `${reg.host}/berth/busybox:1`, `${reg.host}/other/busybox:1`]);
    assert.equal(mounted.code, 0, mounted.stderr);
    assert.match(mounted.stderr, /Mounted from berth\/busybox/);
    const chunked = await berth(tempRoot(t), ['push', '--chunk-size', '500000', 'busybox', `${reg.host}/chunked/busybox:1`]);
    assert.equal(chunked.code, 0, chunked.stderr);
    const si = JSON.parse(sh('skopeo', ['inspect', '--tls-verify=false', `docker://${reg.host}/chunked/busybox:1`]));
    assert.deepEqual(si.Layers.length, 1);
  });

  test('berth pulls what skopeo pushed (gzip layers, its own manifest)', async (t) => {
    const root = tempRoot(t);
    const archive = join(root, 'bb.tar');
    await ok(root, ['save', '-o', archive, 'busybox']);
    sh('skopeo', ['copy', '-q', '--dest-tls-verify=false', `docker-archive:${archive}`, `docker://${reg.host}/skopeo/busybox:2`]);
    const fresh = tempRoot(t);
    await ok(fresh, ['pull', '-q', `${reg.host}/skopeo/busybox:2`]);
    const [img] = JSON.parse(await ok(fresh, ['image', 'inspect', `${reg.host}/skopeo/busybox:2`]));
    assert.equal(img.Id, id);
    assert.match(img.Layers[0].MediaType, /gzip/);
  });

  test('an unknown image and an unreachable registry fail in one line', async (t) => {
    const root = tempRoot(t);
    const r = await berth(root, ['pull', `${reg.host}/no/such:1`]);
    assert.equal(r.code, 125);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /manifest unknown|not found/);
    assert.deepEqual(await imageIds(root), []);
  });

  test('two berth processes pulling into one root at once', async (t) => {
    const root = tempRoot(t);
    const runs = await Promise.all([1, 2, 3].map(() => berth(root, ['pull', '-q', `${reg.host}/berth/busybox:1`])));
    for (const r of runs) assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await imageIds(root), [id]);
    const db = new Database(join(root, 'berth.db'), { readonly: true });
    assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    db.close();
  });

  test('basic auth: login stores 0600 credentials, push and pull use them, logout forgets them', async (t) => {
    const line = htpasswdLine('alice', 's3cret');
    if (line === undefined) {
      t.skip('no bcrypt generator: install apache2-utils (htpasswd)');
      return;
    }
    const authed = await startRegistry({ htpasswd: `${line}\n` });
    t.after(() => authed.stop());
    const root = tempRoot(t);
    const anon = await berth(root, ['push', 'busybox', `${authed.host}/private/bb:1`]);
    assert.equal(anon.code, 125);
    assert.match(anon.stderr, /credentials|401/);
    const bad = await berth(root, ['login', '--username', 'alice', '--password-stdin', authed.host], { input: 'wrong\n' });
    assert.equal(bad.code, 125);
    assert.equal(bad.stderr.trim().split('\n').length, 1);
    assert.match(await ok(root, ['login', '-u', 'alice', '--password-stdin', authed.host], { input: 's3cret\n' }), /Login Succeeded/);
    const authFile = join(root, 'auth.json');
    assert.equal(statSync(authFile).mode & 0o777, 0o600);
    const auths = JSON.parse(readFileSync(authFile, 'utf8')).auths;
    assert.equal(Buffer.from(auths[authed.host].auth, 'base64').toString(), 'alice:s3cret');
    await ok(root, ['push', '-q', 'busybox', `${authed.host}/private/bb:1`]);
    await ok(root, ['pull', '-q', `${authed.host}/private/bb:1`]);
    assert.match(await ok(root, ['logout', authed.host]), /Removed/);
    const after = await berth(tempRoot(t), ['pull', `${authed.host}/private/bb:1`], { env: { BERTH_AUTH_FILE: authFile } });
    assert.equal(after.code, 125);
  });
});
