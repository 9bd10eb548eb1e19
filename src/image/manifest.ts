// Manifests, indexes and image configs are untrusted JSON from archives and registries. They are
// parsed here, once, into typed values: size limit first, then JSON, then shape. Everything past
// this file may rely on digests being sha256 and sizes being safe integers.

import { createHash } from 'node:crypto';
import { BerthError } from '../errors.js';
import { parseDigest, type Digest } from '../storage/digest.js';

export const MT = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerForeignLayerGzip: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  ociLayout: 'application/vnd.oci.image.layout.v1+json',
} as const;

/** Manifests, indexes and configs larger than this are refused before they are parsed. */
export const MAX_MANIFEST_SIZE = 4 << 20;
export const MAX_CONFIG_SIZE = 4 << 20;

const MANIFEST_TYPES = new Set<string>([MT.dockerManifest, MT.ociManifest]);
const INDEX_TYPES = new Set<string>([MT.dockerList, MT.ociIndex]);
const LAYER_TYPES = new Set<string>([
  MT.dockerLayer, MT.dockerLayerGzip, MT.dockerForeignLayerGzip, MT.ociLayer, MT.ociLayerGzip, MT.ociLayerZstd,
  'application/vnd.oci.image.layer.nondistributable.v1.tar', 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
]);

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
}

export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  platform?: Platform;
}

export interface ImageManifest {
  kind: 'manifest';
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  kind: 'index';
  mediaType: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

export interface ImageConfigBody {
  User?: string;
  ExposedPorts?: Record<string, {}>;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Volumes?: Record<string, {}>;
  WorkingDir?: string;
  Labels?: Record<string, string>;
  StopSignal?: string;
  Healthcheck?: { Test?: string[]; Interval?: number; Timeout?: number; StartPeriod?: number; Retries?: number };
  OnBuild?: string[];
}

export interface HistoryEntry {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

/** The parts of an image config berth uses; the original bytes stay in the content store. */
export interface ImageConfig {
  architecture: string;
  os: string;
  variant?: string;
  created?: string;
  author?: string;
  config: ImageConfigBody;
  diffIds: Digest[];
  history: HistoryEntry[];
}

function bad(what: string, why: string): BerthError {
  return new BerthError('BERTH_EINVAL', `${what}: ${why}`);
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseJson(data: Buffer, what: string, max: number): Record<string, unknown> {
  if (data.length > max) throw bad(what, `${data.length} bytes is over the limit of ${max}`);
  let v: unknown;
  try {
    v = JSON.parse(data.toString('utf8'));
  } catch (e) {
    throw new BerthError('BERTH_EINVAL', `${what}: not valid JSON (${(e as Error).message})`, { cause: e });
  }
  if (!isObj(v)) throw bad(what, 'not a JSON object');
  return v;
}

function stringMap(v: unknown, what: string): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObj(v) || !Object.values(v).every((x) => typeof x === 'string')) throw bad(what, 'annotations must map strings to strings');
  return v as Record<string, string>;
}

export function parseDescriptor(v: unknown, what: string): Descriptor {
  if (!isObj(v)) throw bad(what, 'descriptor is not an object');
  const { mediaType, digest, size } = v;
  if (typeof mediaType !== 'string' || mediaType.length === 0 || mediaType.length > 255) throw bad(what, 'descriptor has no valid mediaType');
  if (typeof digest !== 'string') throw bad(what, 'descriptor has no digest');
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw bad(what, `descriptor ${digest} has an invalid size`);
  const d: Descriptor = { mediaType, digest: parseDigest(digest), size };
  if (Array.isArray(v.urls)) d.urls = v.urls.filter((u): u is string => typeof u === 'string');
  const ann = stringMap(v.annotations, what);
  if (ann !== undefined) d.annotations = ann;
  if (isObj(v.platform)) {
    const p = v.platform;
    if (typeof p.architecture === 'string' && typeof p.os === 'string') {
      d.platform = { architecture: p.architecture, os: p.os };
      if (typeof p.variant === 'string') d.platform.variant = p.variant;
    }
  }
  return d;
}

/**
 * A manifest or an index. `mediaType` is what the transport said (Content-Type, a descriptor);
 * the document's own field wins when present, and an unknown type is refused in one line.
 */
export function parseManifestOrIndex(data: Buffer, mediaType?: string, what = 'manifest'): ImageManifest | ImageIndex {
  const j = parseJson(data, what, MAX_MANIFEST_SIZE);
  let mt = typeof j.mediaType === 'string' ? j.mediaType : mediaType;
  // An OCI document may omit mediaType; its shape then tells manifest from index.
  if (mt === undefined || mt === '' || mt === 'application/json' || mt === 'application/octet-stream') {
    mt = Array.isArray(j.manifests) ? MT.ociIndex : isObj(j.config) ? MT.ociManifest : undefined;
  }
  if (j.schemaVersion === 1 || mt === 'application/vnd.docker.distribution.manifest.v1+json' || mt === 'application/vnd.docker.distribution.manifest.v1+prettyjws') {
    throw new BerthError('BERTH_EUNSUPPORTED', `${what}: Docker schema 1 manifests are not supported`);
  }
  if (mt === undefined) throw new BerthError('BERTH_EUNSUPPORTED', `${what}: no media type, and not shaped like a manifest or an index`);
  if (j.schemaVersion !== 2) throw bad(what, `schemaVersion is ${JSON.stringify(j.schemaVersion)}, want 2`);
  if (MANIFEST_TYPES.has(mt)) {
    if (!Array.isArray(j.layers)) throw bad(what, 'layers is not a list');
    const layers = j.layers.map((l, i) => parseDescriptor(l, `${what} layer ${i}`));
    for (const l of layers) {
      if (!LAYER_TYPES.has(l.mediaType)) throw new BerthError('BERTH_EUNSUPPORTED', `${what}: layer ${l.digest} has unsupported media type ${l.mediaType}`);
    }
    const m: ImageManifest = { kind: 'manifest', mediaType: mt, config: parseDescriptor(j.config, `${what} config`), layers };
    const ann = stringMap(j.annotations, what);
    if (ann !== undefined) m.annotations = ann;
    if (m.config.size > MAX_CONFIG_SIZE) throw bad(what, `config is ${m.config.size} bytes, over the limit of ${MAX_CONFIG_SIZE}`);
    return m;
  }
  if (INDEX_TYPES.has(mt)) {
    if (!Array.isArray(j.manifests)) throw bad(what, 'manifests is not a list');
    const idx: ImageIndex = { kind: 'index', mediaType: mt, manifests: j.manifests.map((d, i) => parseDescriptor(d, `${what} entry ${i}`)) };
    const ann = stringMap(j.annotations, what);
    if (ann !== undefined) idx.annotations = ann;
    return idx;
  }
  throw new BerthError('BERTH_EUNSUPPORTED', `${what}: unsupported media type ${JSON.stringify(mt.slice(0, 120))}`);
}

export function parseImageManifest(data: Buffer, mediaType?: string, what = 'manifest'): ImageManifest {
  const m = parseManifestOrIndex(data, mediaType, what);
  if (m.kind !== 'manifest') throw bad(what, `is an index (${m.mediaType}), not an image manifest`);
  return m;
}

function strList(v: unknown, what: string): string[] | null | undefined {
  if (v === undefined) return undefined;
  if (v === null) return null;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw bad(what, 'must be a list of strings');
  return v as string[];
}

export function parseImageConfig(data: Buffer, what = 'image config'): ImageConfig {
  const j = parseJson(data, what, MAX_CONFIG_SIZE);
  const rootfs = j.rootfs;
  if (!isObj(rootfs) || rootfs.type !== 'layers' || !Array.isArray(rootfs.diff_ids)) throw bad(what, 'rootfs.diff_ids is missing');
  const diffIds = rootfs.diff_ids.map((d) => {
    if (typeof d !== 'string') throw bad(what, 'a diff_id is not a string');
    return parseDigest(d);
  });
  const c = isObj(j.config) ? j.config : {};
  const body: ImageConfigBody = {};
  if (typeof c.User === 'string') body.User = c.User;
  if (isObj(c.ExposedPorts)) body.ExposedPorts = c.ExposedPorts as Record<string, {}>;
  const env = strList(c.Env, `${what}: Env`);
  if (env) body.Env = env;
  const ep = strList(c.Entrypoint, `${what}: Entrypoint`);
  if (ep !== undefined) body.Entrypoint = ep;
  const cmd = strList(c.Cmd, `${what}: Cmd`);
  if (cmd !== undefined) body.Cmd = cmd;
  if (isObj(c.Volumes)) body.Volumes = c.Volumes as Record<string, {}>;
  if (typeof c.WorkingDir === 'string') body.WorkingDir = c.WorkingDir;
  const labels = stringMap(c.Labels, `${what}: Labels`);
  if (labels !== undefined) body.Labels = labels;
  if (typeof c.StopSignal === 'string') body.StopSignal = c.StopSignal;
  if (isObj(c.Healthcheck)) body.Healthcheck = c.Healthcheck as ImageConfigBody['Healthcheck'];
  const onBuild = strList(c.OnBuild, `${what}: OnBuild`);
  if (onBuild) body.OnBuild = onBuild;
  const history = Array.isArray(j.history) ? (j.history.filter(isObj) as HistoryEntry[]) : [];
  const out: ImageConfig = {
    architecture: typeof j.architecture === 'string' ? j.architecture : '',
    os: typeof j.os === 'string' ? j.os : '',
    config: body,
    diffIds,
    history,
  };
  if (typeof j.variant === 'string') out.variant = j.variant;
  if (typeof j.created === 'string') out.created = j.created;
  if (typeof j.author === 'string') out.author = j.author;
  return out;
}

export function isGzipLayer(mediaType: string): boolean {
  return mediaType.endsWith('gzip');
}

/** The OCI equivalent of a Docker media type (for oci-archive output and OCI pushes). */
export function toOciMediaType(mt: string): string {
  switch (mt) {
    case MT.dockerManifest: return MT.ociManifest;
    case MT.dockerList: return MT.ociIndex;
    case MT.dockerConfig: return MT.ociConfig;
    case MT.dockerLayer: return MT.ociLayer;
    case MT.dockerLayerGzip: return MT.ociLayerGzip;
    default: return mt;
  }
}

export function hostPlatform(): Platform {
  const arch: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64', mips64el: 'mips64le' };
  const p: Platform = { os: 'linux', architecture: arch[process.arch] ?? process.arch };
  if (process.arch === 'arm64') p.variant = 'v8';
  return p;
}

/** `linux/arm64/v8`, `linux/amd64`, or `arm64` (os defaults to linux). */
export function parsePlatform(s: string): Platform {
  const parts = s.split('/');
  if (parts.length === 1 && parts[0]) return { os: 'linux', architecture: parts[0] };
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => p.length === 0)) {
    throw new BerthError('BERTH_EINVAL', `invalid platform "${s}": want os/arch[/variant]`);
  }
  const p: Platform = { os: parts[0] as string, architecture: parts[1] as string };
  if (parts[2] !== undefined) p.variant = parts[2];
  return p;
}

export function formatPlatform(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
}

/** The index entry for `want`; a missing variant matches loosely, as docker does (arm64 ≈ arm64/v8). */
export function selectPlatform(idx: ImageIndex, want: Platform): Descriptor | undefined {
  const cands = idx.manifests.filter((d) => d.platform !== undefined && d.platform.os === want.os && d.platform.architecture === want.architecture
    && (MANIFEST_TYPES.has(d.mediaType) || INDEX_TYPES.has(d.mediaType)));
  if (want.variant !== undefined) {
    const exact = cands.find((d) => d.platform?.variant === want.variant);
    if (exact !== undefined) return exact;
    if (want.architecture === 'arm64' && want.variant === 'v8') return cands.find((d) => d.platform?.variant === undefined);
    return undefined;
  }
  return cands[0];
}

export function chainIds(diffIds: readonly Digest[]): Digest[] {
  const out: Digest[] = [];
  for (const d of diffIds) {
    const prev = out[out.length - 1];
    out.push(prev === undefined ? d : chainOf(prev, d));
  }
  return out;
}

function chainOf(parent: Digest, diffId: Digest): Digest {
  return `sha256:${createHash('sha256').update(`${parent} ${diffId}`).digest('hex')}`;
}
