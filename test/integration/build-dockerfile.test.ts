// `berth build` on real Dockerfiles, as root, against private roots: multi-stage with COPY --from,
// the cache (only the steps after a changed file rerun), .dockerignore, heredocs, ARG/ENV, USER and
// --chown, the image config, running the result, reproducible layers, the context on stdin and the
// output archives, and bad input that must fail in one line and leave nothing behind.
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDefaultImage, isRoot, ok, sh } from './images-helpers.js';
import {
  berthBuild, blobPath, buildOk, cachedSteps, configBlob, layerDigests, leftovers, makeContext, ranSteps, tempRoots, writeFiles, type Roots,
} from './build-helpers.js';

const MULTI = `# a two-stage build
FROM busybox AS builder
ARG GREETING=hello
ARG WHO
ENV APP=/app GREETING_ENV=\${GREETING}-env
WORKDIR $APP
COPY src/ ./src/
RUN cat src/*.txt > all.txt && echo "$GREETING \${WHO:-nobody}" >> all.txt
RUN <<EOF
echo "heredoc sees $APP" >> /app/all.txt
echo "second line" >> /app/all.txt
EOF

FROM busybox AS final
COPY --from=builder /app/all.txt /srv/
ENV MODE=prod
WORKDIR /srv
LABEL org.example.kind=test maintainer=berth
EXPOSE 8080 53/udp
VOLUME /data
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=5s --timeout=2s --retries=3 CMD test -f /srv/all.txt
USER 0:0
ENTRYPOINT ["cat"]
CMD ["/srv/all.txt"]
`;

async function runImage(r: Roots, image: string, args: string[] = []): Promise<string> {
  return ok(r.root, ['run', '--rm', '--network', 'none', image, ...args]);
}

describe('berth build', { skip: isRoot ? false : 'needs root' }, () => {
  before(() => ensureDefaultImage());

  test('multi-stage build: COPY --from, heredoc RUN, ARG/ENV, config fields, and the image runs', async (t) => {
    const r = tempRoots(t);
    const ctx = makeContext(t, { Dockerfile: MULTI, 'src/a.txt': 'A\n', 'src/b.txt': 'B\n' });
    const iid = join(makeContext(t, {}), 'iid');
    const { id, log } = await buildOk(r, ['-t', 'localhost/multi:1', '-t', 'example.com/multi:2', '--build-arg', 'WHO=tester', '--iidfile', iid, ctx]);
    assert.match(id, /^sha256:[0-9a-f]{64}$/);
    assert.equal(readFileSync(iid, 'utf8'), id);
    assert.match(log, /\[stage 1\/2 builder\] STEP 1\/8: FROM busybox AS builder/);
    assert.match(log, /\[stage 2\/2 final\] STEP 2\/12: COPY --from=builder \/app\/all.txt \/srv\//);

    const cfg = configBlob(r, id);
    const c = cfg.config;
    assert.deepEqual(c.Env, ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'MODE=prod']);
    assert.equal(c.WorkingDir, '/srv');
    assert.deepEqual(c.Labels, { 'org.example.kind': 'test', maintainer: 'berth' });
    assert.deepEqual(c.ExposedPorts, { '8080/tcp': {}, '53/udp': {} });
    assert.deepEqual(c.Volumes, { '/data': {} });
    assert.equal(c.StopSignal, 'SIGTERM');
    assert.equal(c.User, '0:0');
    assert.deepEqual(c.Entrypoint, ['cat']);
    assert.deepEqual(c.Cmd, ['/srv/all.txt']);
    assert.deepEqual(c.Healthcheck, { Test: ['CMD-SHELL', 'test -f /srv/all.txt'], Interval: 5e9, Timeout: 2e9, Retries: 3 });
    // History: the base's entries, then one per instruction of the final stage; diff IDs match layers.
    const ours = cfg.history.slice(-12).map((h: { created_by: string }) => h.created_by.split(' ')[0]);
    assert.deepEqual(ours, ['COPY', 'ENV', 'WORKDIR', 'LABEL', 'EXPOSE', 'VOLUME', 'STOPSIGNAL', 'HEALTHCHECK', 'USER', 'ENTRYPOINT', 'CMD'].length === 11
      ? [cfg.history.at(-12).created_by.split(' ')[0], 'COPY', 'ENV', 'WORKDIR', 'LABEL', 'EXPOSE', 'VOLUME', 'STOPSIGNAL', 'HEALTHCHECK', 'USER', 'ENTRYPOINT', 'CMD'] : []);
    const nonEmpty = cfg.history.filter((h: { empty_layer?: boolean }) => h.empty_layer !== true).length;
    assert.equal(nonEmpty, cfg.rootfs.diff_ids.length);
    assert.equal(cfg.rootfs.diff_ids.length, layerDigests(r, id).length);

    const tags = JSON.parse(await ok(r.root, ['image', 'inspect', id]))[0].RepoTags.sort();
    assert.deepEqual(tags, ['example.com/multi:2', 'localhost/multi:1']);
    assert.equal(await runImage(r, 'localhost/multi:1'), 'A\nB\nhello tester\nheredoc sees /app\nsecond line\n');
    // ENV built from an ARG keeps the ARG's value; ARGs themselves stay out of the config.
    const builder = await buildOk(r, ['--target', 'builder', ctx]);
    const env = configBlob(r, builder.id).config.Env as string[];
    assert.ok(env.includes('GREETING_ENV=hello-env'), env.join(' '));
    assert.ok(!env.some((e) => e.startsWith('GREETING=')));
    assert.doesNotMatch(builder.log, /final\] STEP/, '--target builder never runs the final stage');
  });

  test('cache: a rebuild is all CACHED; changing one file reruns only the steps after its COPY', async (t) => {
    const r = tempRoots(t);
    const df = 'FROM busybox\nRUN echo one > /one\nCOPY a.txt /a.txt\nRUN cat /a.txt > /copy\nCOPY b.txt /b.txt\nRUN echo done\n';
    const ctx = makeContext(t, { Dockerfile: df, 'a.txt': 'a1\n', 'b.txt': 'b1\n', 'ignored.log': 'x\n', '.dockerignore': '*.log\n' });
    const first = await buildOk(r, ['-t', 'localhost/cache:1', ctx]);
    assert.equal(cachedSteps(first.log).length, 0);
    const again = await buildOk(r, [ctx]);
    assert.equal(again.id, first.id, 'a fully cached build gives the same image ID');
    assert.equal(cachedSteps(again.log).length, 5);
    // A file .dockerignore leaves out does not touch the cache.
    writeFileSync(join(ctx, 'ignored.log'), 'changed\n');
    assert.equal(cachedSteps((await buildOk(r, [ctx])).log).length, 5);
    writeFileSync(join(ctx, 'b.txt'), 'b2\n');
    const third = await buildOk(r, [ctx]);
    assert.deepEqual(cachedSteps(third.log), ['STEP 2/6: RUN echo one > /one', 'STEP 3/6: COPY a.txt /a.txt', 'STEP 4/6: RUN cat /a.txt > /copy']);
    assert.deepEqual(ranSteps(third.log), ['STEP 5/6: COPY b.txt /b.txt', 'STEP 6/6: RUN echo done']);
    assert.deepEqual(layerDigests(r, third.id).slice(0, 4), layerDigests(r, first.id).slice(0, 4));
    const noCache = await buildOk(r, ['--no-cache', ctx]);
    assert.equal(cachedSteps(noCache.log).length, 0);
  });

  test('.dockerignore: ignored files are not in the context, exceptions are', async (t) => {
    const r = tempRoots(t);
    const ctx = makeContext(t, {
      Dockerfile: 'FROM busybox\nCOPY . /ctx/\nCMD find /ctx -type f | sort\n',
      '.dockerignore': '# comment\nsecret*\nbuild/\n**/*.tmp\n!build/keep.txt\n',
      'app.txt': '1', 'secret.key': 'k', 'build/out.bin': 'o', 'build/keep.txt': 'keep', 'deep/x.tmp': 't', 'deep/y.txt': 'y',
    });
    const { id } = await buildOk(r, [ctx]);
    assert.deepEqual((await runImage(r, id)).trim().split('\n'), ['/ctx/.dockerignore', '/ctx/Dockerfile', '/ctx/app.txt', '/ctx/build/keep.txt', '/ctx/deep/y.txt']);
    const missing = await berthBuild(r, [makeContext(t, { Dockerfile: 'FROM busybox\nCOPY secret.key /\n', 'secret.key': 'k', '.dockerignore': 'secret.key\n' })]);
    assert.equal(missing.code, 125);
    assert.match(missing.stderr.trim().split('\n').pop()!, /^berth: Dockerfile:2: .*secret\.key.*not found in the build context/);
  });

  test('USER and COPY --chown: names from the image\'s own passwd, files owned by them', async (t) => {
    const r = tempRoots(t);
    const ctx = makeContext(t, {
      Dockerfile: [
        'FROM busybox',
        // Debian's busybox-static has no adduser applet: the same, by hand.
        'RUN echo "app:x:1234:1234::/home/app:/bin/sh" >> /etc/passwd && echo "app:x:1234:" >> /etc/group && echo "extra:x:2345:" >> /etc/group && mkdir -p /home/app && chown app:app /home/app',
        'COPY --chown=app data.txt /home/app/',
        'COPY --chown=app:extra --chmod=600 data.txt /home/app/private.txt',
        'USER app',
        'WORKDIR /home/app/work',
        'RUN id -un > whoami && touch /home/app/made-by-app',
        'CMD stat -c "%n %U %G %a" /home/app/data.txt /home/app/private.txt /home/app/made-by-app /home/app/work/whoami',
      ].join('\n'),
      'data.txt': 'data\n',
    });
    const { id } = await buildOk(r, [ctx]);
    assert.equal(configBlob(r, id).config.User, 'app');
    assert.deepEqual((await runImage(r, id)).trim().split('\n'), [
      '/home/app/data.txt app app 644',
      '/home/app/private.txt app extra 600',
      '/home/app/made-by-app app app 644',
      '/home/app/work/whoami app app 644',
    ]);
  });

  test('SOURCE_DATE_EPOCH: two clean builds give the same layers and the same image ID', async (t) => {
    const df = 'FROM busybox\nCOPY f.txt /f.txt\nRUN mkdir -p /out && echo built > /out/x && ln /out/x /out/hard && ln -s x /out/soft && rm /bin/ls\nENV A=1\n';
    const ctx = makeContext(t, { Dockerfile: df, 'f.txt': 'f\n' });
    const a = tempRoots(t);
    const b = tempRoots(t);
    const one = await buildOk(a, ['--build-arg', 'SOURCE_DATE_EPOCH=1700000000', ctx]);
    await new Promise((res) => setTimeout(res, 1100));
    const two = await buildOk(b, [ctx], { env: { SOURCE_DATE_EPOCH: '1700000000' } });
    assert.deepEqual(layerDigests(a, one.id), layerDigests(b, two.id));
    assert.equal(one.id, two.id);
    assert.equal(configBlob(a, one.id).created, '2023-11-14T22:13:20Z');
    // The RUN's layer: a whiteout for /bin/ls, the hardlink kept, every mtime clamped.
    const listing = sh('tar', ['--numeric-owner', '--full-time', '-tvf', blobPath(a, layerDigests(a, one.id).at(-1)!)]);
    assert.match(listing, /bin\/\.wh\.ls/);
    assert.match(listing, /out\/(hard link to out\/x|x link to out\/hard)/);
    for (const line of listing.trim().split('\n')) assert.match(line, /2023-11-14 \d\d:13:20/, line);
  });

  test('context from stdin (tar and bare Dockerfile), -f, --output oci and docker archives', async (t) => {
    const r = tempRoots(t);
    const ctx = makeContext(t, { 'build/Containerfile.alt': 'FROM busybox\nCOPY hello /hello\nCMD ["cat", "/hello"]\n', hello: 'from a tar\n' });
    const tgz = execFileSync('tar', ['-C', ctx, '-czf', '-', '.']);
    const viaTar = await buildOk(r, ['-f', 'build/Containerfile.alt', '-t', 'localhost/stdin', '-'], { input: tgz });
    assert.equal(await runImage(r, viaTar.id), 'from a tar\n');
    const bare = await buildOk(r, ['-'], { input: 'FROM busybox\nRUN echo bare > /bare\nCMD ["cat", "/bare"]\n' });
    assert.equal(await runImage(r, bare.id), 'bare\n');
    const dir = makeContext(t, {});
    const ociFile = join(dir, 'img.oci.tar');
    const dockerFile = join(dir, 'img.docker.tar');
    await buildOk(r, ['-f', join(ctx, 'build/Containerfile.alt'), '-t', 'localhost/out:1', '--output', `type=oci,dest=${ociFile}`, '--output', `type=docker,dest=${dockerFile}`, ctx]);
    assert.ok(existsSync(ociFile) && existsSync(dockerFile));
    const index = JSON.parse(sh('tar', ['-xOf', ociFile, 'index.json']));
    assert.equal(index.manifests[0].annotations['io.containerd.image.name'], 'localhost/out:1');
    const manifest = JSON.parse(sh('tar', ['-xOf', dockerFile, 'manifest.json']));
    assert.deepEqual(manifest[0].RepoTags, ['localhost/out:1']);
    const inspected = JSON.parse(sh('skopeo', ['inspect', `oci-archive:${ociFile}`]));
    assert.equal(inspected.Layers.length, 2);
  });

  test('bad input: one line with the line number, exit 125, nothing left behind', async (t) => {
    const r = tempRoots(t);
    const cases: Array<[string, RegExp]> = [
      ['FROM busybox\nRUN true\nFROBNICATE x\n', /^berth: Dockerfile:3: unknown instruction: FROBNICATE$/],
      ['FROM busybox\nCOPY missing.txt /\n', /^berth: Dockerfile:2: .*missing\.txt.*not found in the build context/],
      ['FROM busybox\nCOPY ../outside /\n', /^berth: Dockerfile:2: COPY \.\.\/outside: the source is outside the build context$/],
      ['FROM busybox AS a\nCOPY --from=b /x /x\nFROM busybox AS b\nCOPY --from=a /y /y\n', /^berth: Dockerfile:\d: circular dependency detected on stage: [ab]$/],
      ['FROM busybox\nADD https://example.com/x.tar.gz /\n', /^berth: Dockerfile:2: ADD https:\/\/example.com\/x.tar.gz: remote sources are not supported/],
      ['FROM busybox\nRUN echo ok > /ok\nRUN echo about to fail; echo last words >&2; exit 3\nRUN echo never\n', /^berth: Dockerfile:3: RUN exited with code 3: last words$/],
      ['FROM busybox\nUSER nosuchuser\nRUN true\n', /^berth: .*unable to find user nosuchuser/],
    ];
    await ok(r.root, ['image', 'inspect', 'busybox']); // loads the default image
    for (const [df, want] of cases) {
      const ctx = makeContext(t, { Dockerfile: df });
      const before = (await ok(r.root, ['images', '-q'])).trim();
      const res = await berthBuild(r, [ctx]);
      assert.equal(res.code, 125, `${df}\n${res.stderr}`);
      assert.match(res.stderr.trim().split('\n').pop()!, want);
      assert.equal((await ok(r.root, ['images', '-q'])).trim(), before, 'no image was added');
      assert.deepEqual(leftovers(r), { buildSnapshots: [], mounts: [], runtimeContainers: [], workDirs: [] });
    }
    const res = await berthBuild(r, [makeContext(t, { Dockerfile: 'FROM busybox\nRUN echo visible; exit 7\n' })]);
    assert.match(res.stderr, /visible\n/, 'the failing RUN\'s output is shown');
    assert.match(res.stderr, /RUN exited with code 7/);
  });

  test('ADD unpacks a local tar.gz; RUN --mount: a cache persists, a bind reads the context', async (t) => {
    const r = tempRoots(t);
    const src = makeContext(t, { 'pkg/one': '1\n', 'pkg/two': '2\n' });
    const tgz = execFileSync('tar', ['-C', src, '-czf', '-', 'pkg']);
    const ctx = makeContext(t, {
      Dockerfile: [
        'FROM busybox',
        'ADD files.tar.gz /opt/',
        'RUN --mount=type=cache,target=/cache,sharing=locked echo x >> /cache/count && wc -l < /cache/count > /runs',
        'RUN --mount=type=bind,source=conf,target=/conf cat /conf/settings > /settings',
        'CMD cat /opt/pkg/one /opt/pkg/two /runs /settings',
      ].join('\n'),
      'conf/settings': 'debug=1\n',
    });
    writeFileSync(join(ctx, 'files.tar.gz'), tgz);
    const first = await buildOk(r, [ctx]);
    assert.equal(await runImage(r, first.id), '1\n2\n1\ndebug=1\n');
    const second = await buildOk(r, ['--no-cache', ctx]);
    assert.equal(await runImage(r, second.id), '1\n2\n2\ndebug=1\n');
    const listing = layerDigests(r, second.id).slice(1).map((d) => sh('tar', ['-tf', blobPath(r, d)])).join('');
    assert.doesNotMatch(listing, /^(cache|conf)\/?$/m, 'mount points stay out of the layers');
    writeFiles(ctx, { 'conf/settings': 'debug=2\n' });
    const third = await buildOk(r, [ctx]);
    assert.equal(cachedSteps(third.log).length, 2, 'a changed bind source reruns its RUN');
  });

  test('ONBUILD triggers of the base run in the child build', async (t) => {
    const r = tempRoots(t);
    const parent = makeContext(t, { Dockerfile: 'FROM busybox\nONBUILD COPY marker /marker\nONBUILD RUN echo triggered > /triggered\n' });
    await buildOk(r, ['-t', 'localhost/onbuild-base', parent]);
    const child = makeContext(t, { Dockerfile: 'FROM localhost/onbuild-base\nCMD cat /marker /triggered\n', marker: 'm\n' });
    const { id } = await buildOk(r, [child]);
    assert.equal(await runImage(r, id), 'm\ntriggered\n');
    assert.equal(configBlob(r, id).config.OnBuild, undefined);
  });

  test('a failed build leaves the cache usable: the next build reuses the steps that succeeded', async (t) => {
    const r = tempRoots(t);
    const ctx = makeContext(t, { Dockerfile: 'FROM busybox\nRUN echo a > /a\nRUN test -f /go\n' });
    assert.equal((await berthBuild(r, [ctx])).code, 125);
    writeFileSync(join(ctx, 'Dockerfile'), 'FROM busybox\nRUN echo a > /a\nRUN touch /go && test -f /go\n');
    assert.deepEqual(cachedSteps((await buildOk(r, [ctx])).log), ['STEP 2/3: RUN echo a > /a']);
  });
});
