// Builds dist/images/busybox.tar, the default image berth loads on first use as
// localhost/busybox:latest, from Debian's busybox-static, staged by the same script that makes the
// tests' rootfs fixture but in a fresh directory of its own: the image must not pick up whatever a
// test run left in the shared fixture. Needs the compiled tree (make ts). Deterministic: the same
// busybox gives the same image ID.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const stage = mkdtempSync(join(tmpdir(), 'berth-default-image-'));
process.on('exit', () => rmSync(stage, { recursive: true, force: true }));
const rootfs = join(stage, 'rootfs');
execFileSync('bash', [join(repo, 'test/fixtures/make-busybox-rootfs.sh'), rootfs], { stdio: ['ignore', 'ignore', 'inherit'] });
const lib = join(repo, 'build/src/image/archive/default-image.js');
if (!existsSync(lib)) {
  console.error(`make-default-image: ${lib} is missing: compile first (make ts)`);
  process.exit(1);
}
const { buildDefaultImage } = await import(lib);
const out = join(repo, 'dist/images/busybox.tar');
const r = await buildDefaultImage(rootfs, out);
console.log(`built ${out}: image ${r.id}`);
