// Image archives built from the busybox fixture, so integration tests need no registry: a plain
// rootfs tar (for `podman import`) and an OCI image layout tar (for `ctr images import`).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixtureRootfs } from './bundle.js';
import { PATH_ENV } from './spec.js';

function tar(args: string[]): void {
  const r = spawnSync('tar', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tar ${args.join(' ')}: ${r.stderr.trim()}`);
}

/** The fixture as one uncompressed tar, owned by root whatever the checkout's owner is. */
export function rootfsTar(out: string): void {
  tar(['-C', fixtureRootfs(), '--numeric-owner', '--owner=0', '--group=0', '--exclude=./.busybox-stamp', '-cf', out, '.']);
}

interface Descriptor { mediaType: string; digest: string; size: number; annotations?: Record<string, string> }

/** Moves a file into blobs/sha256/<digest> and describes it. */
function addBlob(layout: string, file: string, mediaType: string): Descriptor {
  const hex = createHash('sha256').update(readFileSync(file)).digest('hex');
  const size = statSync(file).size;
  renameSync(file, join(layout, 'blobs/sha256', hex));
  return { mediaType, digest: `sha256:${hex}`, size };
}

function addJsonBlob(layout: string, value: unknown, mediaType: string): Descriptor {
  const tmp = join(layout, 'blob.tmp');
  writeFileSync(tmp, JSON.stringify(value));
  return addBlob(layout, tmp, mediaType);
}

const OCI_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

/**
 * An OCI image layout (one uncompressed layer) tarred to `out`. `name` goes in the
 * io.containerd.image.name annotation, which `ctr images import` uses as the image name.
 */
export function ociArchive(workDir: string, out: string, name: string): void {
  const layout = join(workDir, 'oci-layout');
  mkdirSync(join(layout, 'blobs/sha256'), { recursive: true });
  const layerFile = join(layout, 'layer.tar');
  rootfsTar(layerFile);
  // Uncompressed, so the layer digest is also its diff ID.
  const layer = addBlob(layout, layerFile, 'application/vnd.oci.image.layer.v1.tar');
  const config = addJsonBlob(layout, {
    architecture: OCI_ARCH[process.arch] ?? process.arch,
    os: 'linux',
    config: { Env: [PATH_ENV], Cmd: ['sh'] },
    rootfs: { type: 'layers', diff_ids: [layer.digest] },
  }, 'application/vnd.oci.image.config.v1+json');
  const manifest = addJsonBlob(layout, {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config,
    layers: [layer],
  }, 'application/vnd.oci.image.manifest.v1+json');
  const tag = name.slice(name.lastIndexOf(':') + 1);
  manifest.annotations = { 'io.containerd.image.name': name, 'org.opencontainers.image.ref.name': tag };
  writeFileSync(join(layout, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [manifest] }));
  writeFileSync(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  tar(['-C', layout, '-cf', out, 'oci-layout', 'index.json', 'blobs']);
}
