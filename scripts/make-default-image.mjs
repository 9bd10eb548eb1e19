// Builds dist/images/busybox.tar, the default image berth loads on first use as
// localhost/busybox:latest, from the busybox rootfs fixture (Debian's busybox-static).
// Needs the compiled tree (make ts). Deterministic: the same busybox gives the same image ID.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const rootfs = join(repo, 'test/fixtures/out/busybox-rootfs');
if (!existsSync(join(rootfs, 'bin/busybox'))) {
  execFileSync('bash', [join(repo, 'test/fixtures/make-busybox-rootfs.sh')], { stdio: 'inherit' });
}
const lib = join(repo, 'build/src/image/archive/default-image.js');
if (!existsSync(lib)) {
  console.error(`make-default-image: ${lib} is missing: compile first (make ts)`);
  process.exit(1);
}
const { buildDefaultImage } = await import(lib);
const out = join(repo, 'dist/images/busybox.tar');
const r = await buildDefaultImage(rootfs, out);
console.log(`built ${out}: image ${r.id}`);
