// The same Dockerfile built by berth and by Debian's buildah (vfs driver, chroot isolation, private
// roots) from the same base image (dist/images/busybox.tar): the images' filesystems (every path's
// type, mode, owner, size, link target and file contents) and configs must match. Both images go
// through skopeo into OCI layouts and are unpacked by umoci, so neither side's own tools judge it.
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_ARCHIVE, ensureDefaultImage, isRoot, sh } from './images-helpers.js';
import { buildOk, makeContext, tempRoots } from './build-helpers.js';

const have = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const missing = ['buildah', 'skopeo', 'umoci'].filter((c) => !have(c));

// buildah 1.28 (Debian 12) has no heredoc support, so this Dockerfile has none.
const DOCKERFILE = `FROM localhost/busybox AS builder
ARG GREETING=hello
ENV APP=/app
WORKDIR /app
COPY src/ ./src/
RUN cat src/*.txt > all.txt && echo "$GREETING" >> all.txt && mkdir -p /app/empty && ln -s all.txt /app/link && ln all.txt /app/hard

FROM localhost/busybox
COPY --from=builder /app /srv/app
RUN rm /bin/ls && mkdir -p /var/lib/thing && chmod 1777 /var/lib/thing && echo x > /var/lib/thing/f
RUN echo "app:x:1234:1234::/home/app:/bin/sh" >> /etc/passwd && echo "app:x:1234:" >> /etc/group && mkdir -p /home/app && chown app:app /home/app
COPY --chown=app:app data.txt /home/app/
COPY --chmod=700 src/a.txt /opt/run.sh
USER app
WORKDIR /home/app
ENV MODE=prod PATH=/opt:/usr/bin:/bin
LABEL k=v other="with space"
EXPOSE 8080 53/udp
VOLUME /data
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s CMD true
ENTRYPOINT ["cat"]
CMD ["/srv/app/all.txt"]
`;

/** Every path: type, mode, owner, size, link target, and a digest of file contents. */
function listing(rootfs: string): string[] {
  const out = sh('sh', ['-c', `cd '${rootfs}' && find . -printf '%p %y %m %U %G %s %l\\n' | sort`]).trim().split('\n');
  const sums = new Map(sh('sh', ['-c', `cd '${rootfs}' && find . -type f -exec sha256sum {} +`]).trim().split('\n').map((l) => {
    const [sum, path] = l.split(/\s+/, 2);
    return [path!, sum!.slice(0, 16)] as const;
  }));
  return out.map((l) => `${l} ${sums.get(l.split(' ')[0]!) ?? ''}`.trim());
}

describe('berth build matches buildah bud', { skip: !isRoot ? 'needs root' : missing.length > 0 ? `needs ${missing.join(', ')}` : false }, () => {
  before(() => ensureDefaultImage());

  test('same Dockerfile, same base: same filesystem and config', async (t) => {
    const work = mkdtempSync(join(tmpdir(), 'berth-vs-buildah-'));
    const ctx = makeContext(t, { Dockerfile: DOCKERFILE, 'src/a.txt': 'A\n', 'src/b.txt': 'B\n', 'data.txt': 'data\n' });

    const r = tempRoots(t);
    const berthArchive = join(work, 'berth.oci.tar');
    await buildOk(r, ['-t', 'localhost/cmp', '--output', `type=oci,dest=${berthArchive}`, ctx]);
    sh('skopeo', ['copy', '-q', `oci-archive:${berthArchive}`, `oci:${join(work, 'oci-berth')}:cmp`]);

    const bh = ['--root', join(work, 'buildah-root'), '--runroot', join(work, 'buildah-run'), '--storage-driver', 'vfs'];
    sh('buildah', [...bh, 'pull', '-q', `docker-archive:${DEFAULT_ARCHIVE}`]);
    sh('buildah', [...bh, 'bud', '-q', '--isolation', 'chroot', '--format', 'docker', '-t', 'localhost/cmp', ctx]);
    sh('buildah', [...bh, 'push', '-q', 'localhost/cmp', `oci:${join(work, 'oci-buildah')}:cmp`]);
    // One hook, in this order: buildah recreates its lock files in the roots when it runs.
    t.after(() => {
      spawnSync('buildah', [...bh, 'rmi', '--all', '--force']);
      rmSync(work, { recursive: true, force: true });
    });

    for (const side of ['berth', 'buildah']) sh('umoci', ['unpack', '--image', `${join(work, `oci-${side}`)}:cmp`, join(work, `unpacked-${side}`)]);
    const ours = listing(join(work, 'unpacked-berth', 'rootfs'));
    // buildah leaves the empty files it bind-mounts /etc/hosts, /etc/hostname and /etc/resolv.conf
    // onto; Docker's builders do not, and neither does berth.
    const theirs = listing(join(work, 'unpacked-buildah', 'rootfs'))
      .filter((l) => !/^\.\/etc\/(hosts|hostname|resolv\.conf) f \d+ 0 0 0 {2}/.test(l));
    assert.deepEqual(ours, theirs);

    const config = (side: string): Record<string, unknown> => {
      const c = JSON.parse(sh('skopeo', ['inspect', '--config', `oci:${join(work, `oci-${side}`)}:cmp`])).config as Record<string, unknown>;
      const labels = { ...(c.Labels as Record<string, string>) };
      delete labels['io.buildah.version'];
      return { ...c, Labels: labels };
    };
    const a = config('berth');
    const b = config('buildah');
    // buildah moves a redefined variable to the end; Docker (and berth) replace it in place.
    assert.deepEqual([...(a.Env as string[])].sort(), [...(b.Env as string[])].sort());
    assert.deepEqual(a.Env, ['PATH=/opt:/usr/bin:/bin', 'MODE=prod']);
    for (const field of ['User', 'Entrypoint', 'Cmd', 'WorkingDir', 'Labels', 'ExposedPorts', 'Volumes', 'StopSignal', 'Healthcheck']) {
      assert.deepEqual(a[field], b[field], field);
    }
  });
});
