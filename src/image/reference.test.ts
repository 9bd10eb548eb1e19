import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isBerthError } from '../errors.js';
import { familiarString, familiarName, formatReference, isValidTag, parseNormalized, parseReference } from './reference.js';

const D = 'sha256:' + 'ab'.repeat(32);

const normalised: Array<[string, string, string]> = [
  // input, canonical, familiar
  ['busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
  ['busybox:1.36', 'docker.io/library/busybox:1.36', 'busybox:1.36'],
  ['library/busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
  ['docker.io/busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
  ['index.docker.io/library/busybox:1', 'docker.io/library/busybox:1', 'busybox:1'],
  ['docker.io/library/busybox:latest', 'docker.io/library/busybox:latest', 'busybox:latest'],
  ['user/app', 'docker.io/user/app:latest', 'user/app:latest'],
  ['library/a/b', 'docker.io/library/a/b:latest', 'library/a/b:latest'],
  ['registry:5000/ns/name:tag', 'registry:5000/ns/name:tag', 'registry:5000/ns/name:tag'],
  ['registry:5000/name', 'registry:5000/name:latest', 'registry:5000/name:latest'],
  ['localhost/x', 'localhost/x:latest', 'localhost/x:latest'],
  ['localhost:5000/x/y:v1', 'localhost:5000/x/y:v1', 'localhost:5000/x/y:v1'],
  ['quay.io/coreos/etcd:v3.5.0', 'quay.io/coreos/etcd:v3.5.0', 'quay.io/coreos/etcd:v3.5.0'],
  ['Foo/bar', 'Foo/bar:latest', 'Foo/bar:latest'],
  ['[::1]:5000/img:t', '[::1]:5000/img:t', '[::1]:5000/img:t'],
  ['10.0.0.1:5000/img', '10.0.0.1:5000/img:latest', '10.0.0.1:5000/img:latest'],
  [`busybox@${D}`, `docker.io/library/busybox@${D}`, `busybox@${D}`],
  [`busybox:1.36@${D}`, `docker.io/library/busybox:1.36@${D}`, `busybox:1.36@${D}`],
  [`registry:5000/ns/name@${D}`, `registry:5000/ns/name@${D}`, `registry:5000/ns/name@${D}`],
  ['a_b/c__d/e-f/g--h/i.j', 'docker.io/a_b/c__d/e-f/g--h/i.j:latest', 'a_b/c__d/e-f/g--h/i.j:latest'],
  ['localhost:5000', 'docker.io/library/localhost:5000', 'localhost:5000'],
  ['busybox:A_tag-1.x', 'docker.io/library/busybox:A_tag-1.x', 'busybox:A_tag-1.x'],
];

for (const [input, canonical, familiar] of normalised) {
  test(`normalises ${input}`, () => {
    const ref = parseReference(input);
    assert.equal(formatReference(ref), canonical);
    assert.equal(familiarString(ref), familiar);
    // Normalisation is idempotent from both printed forms.
    assert.equal(formatReference(parseReference(canonical)), canonical);
    assert.equal(formatReference(parseReference(familiar)), canonical);
  });
}

test('parts of a reference', () => {
  const r = parseReference('registry:5000/ns/name:tag');
  assert.deepEqual(r, { domain: 'registry:5000', path: 'ns/name', name: 'registry:5000/ns/name', tag: 'tag', digest: undefined });
  assert.equal(familiarName(parseReference('busybox')), 'busybox');
});

test('digest-only references get no default tag; parseNormalized adds none', () => {
  assert.equal(parseReference(`busybox@${D}`).tag, undefined);
  assert.equal(parseNormalized('busybox').tag, undefined);
  assert.equal(parseReference('busybox').tag, 'latest');
});

const invalidRefs: Array<[string, RegExp]> = [
  ['', /empty/],
  ['Busybox', /must be lowercase/],
  ['library/BusyBox', /must be lowercase/],
  ['registry:5000/NS/name', /must be lowercase/],
  ['busybox:', /invalid tag/],
  ['busybox:-bad', /invalid tag/],
  [`busybox:${'a'.repeat(129)}`, /invalid tag/],
  ['busybox:a/b', /invalid registry "busybox:a"/],
  ['a'.repeat(64).replace(/a/g, 'f'), /image ID/],
  ['busybox@sha256:abc', /malformed digest/],
  [`busybox@sha512:${'a'.repeat(128)}`, /not supported/],
  [`busybox@sha256:${'A'.repeat(64)}`, /lower-case/],
  ['busybox@', /malformed digest/],
  ['/busybox', /registry|component/],
  ['ns//name', /empty path component/],
  ['ns/name/', /empty path component/],
  ['-bad/name', /invalid repository name component|registry/],
  ['name-', /invalid repository name component/],
  ['na__me_', /invalid repository name component/],
  ['a...b', /invalid repository name component/],
  ['-registry.io/x', /invalid registry/],
  ['registry.io:port/x', /invalid registry/],
  ['reg_istry.io/x', /invalid registry/],
  [':tag', /missing repository/],
  ['has space', /invalid repository name component/],
  [`x/${'a'.repeat(260)}`, /longer than 255/],
];

for (const [input, why] of invalidRefs) {
  test(`refuses ${JSON.stringify(input.length > 40 ? input.slice(0, 40) + '…' : input)}`, () => {
    assert.throws(() => parseReference(input), (e: unknown) => {
      assert.ok(isBerthError(e, 'BERTH_EREFERENCE'), String(e));
      assert.match(e.message, why);
      assert.ok(!e.message.includes('\n'));
      return true;
    });
  });
}

test('tag grammar', () => {
  assert.ok(isValidTag('latest'));
  assert.ok(isValidTag('_x'));
  assert.ok(isValidTag('1.2.3-rc.1'));
  assert.ok(isValidTag('a'.repeat(128)));
  assert.ok(!isValidTag('a'.repeat(129)));
  assert.ok(!isValidTag('.x'));
  assert.ok(!isValidTag('x:y'));
});
