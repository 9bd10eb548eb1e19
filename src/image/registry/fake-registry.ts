// Test support: an in-process registry that serves one repository from memory, with Bearer token
// auth (its own /token endpoint) and faults on demand: answers of 500, connections closed in the
// middle of a blob, blobs whose bytes do not match their digest, oversized manifests.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { digestOf } from '../../storage/digest.js';
import { MT } from '../manifest.js';

export interface FakeFaults {
  /** Answer 500 to this many blob requests before behaving. */
  blob500?: number;
  /** Close the connection half-way through this many blob downloads. */
  closeMidBlob?: number;
  /** Serve these bytes for every layer blob instead of the real ones. */
  corruptLayers?: boolean;
  /** Answer 500 to every manifest request. */
  manifest500?: boolean;
}

export interface FakeRegistry {
  host: string;
  repo: string;
  requests: string[];
  faults: FakeFaults;
  stop(): Promise<void>;
}

export interface FakeImage {
  /** Layer tars (uncompressed). */
  layers: Buffer[];
  config?: Record<string, unknown>;
  /** Replace the manifest served (bytes and media type). */
  manifestOverride?: { bytes: Buffer; mediaType: string };
}

export function fakeImageDocs(img: FakeImage): { manifest: Buffer; blobs: Map<string, Buffer>; configDigest: string } {
  const blobs = new Map<string, Buffer>();
  const layerDescs = img.layers.map((l) => {
    const d = digestOf(l);
    blobs.set(d, l);
    return { mediaType: MT.ociLayer, digest: d, size: l.length };
  });
  const config = Buffer.from(JSON.stringify(img.config ?? {
    architecture: 'amd64', os: 'linux', config: { Cmd: ['sh'] },
    rootfs: { type: 'layers', diff_ids: layerDescs.map((l) => l.digest) },
  }));
  const configDigest = digestOf(config);
  blobs.set(configDigest, config);
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: MT.ociManifest,
    config: { mediaType: MT.ociConfig, digest: configDigest, size: config.length }, layers: layerDescs,
  }));
  return { manifest, blobs, configDigest };
}

export async function startFakeRegistry(img: FakeImage, opts: { repo?: string; bearer?: { user: string; password: string } | 'anonymous'; faults?: FakeFaults } = {}): Promise<FakeRegistry> {
  const repo = opts.repo ?? 'test/image';
  const docs = fakeImageDocs(img);
  const manifest = img.manifestOverride?.bytes ?? docs.manifest;
  const manifestType = img.manifestOverride?.mediaType ?? MT.ociManifest;
  const manifestDigest = digestOf(manifest);
  const faults: FakeFaults = { ...(opts.faults ?? {}) };
  const requests: string[] = [];
  const TOKEN = 'fake-token-123';
  let host = '';
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', `http://${host}`);
    requests.push(`${req.method} ${url.pathname}`);
    if (url.pathname === '/token') {
      const want = opts.bearer !== undefined && opts.bearer !== 'anonymous' ? `Basic ${Buffer.from(`${opts.bearer.user}:${opts.bearer.password}`).toString('base64')}` : undefined;
      if (want !== undefined && req.headers.authorization !== want) {
        res.writeHead(401).end();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ token: TOKEN }));
      return;
    }
    if (opts.bearer !== undefined && req.headers.authorization !== `Bearer ${TOKEN}`) {
      res.writeHead(401, {
        'WWW-Authenticate': `Bearer realm="http://${host}/token",service="fake",scope="repository:${repo}:pull"`,
        'Content-Type': 'application/json',
      }).end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
      return;
    }
    if (url.pathname === '/v2/' || url.pathname === '/v2') {
      res.writeHead(200).end('{}');
      return;
    }
    const m = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(url.pathname);
    if (m === null || m[1] !== repo) {
      res.writeHead(404, { 'Content-Type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'NAME_UNKNOWN', message: 'repository name not known to registry' }] }));
      return;
    }
    if (m[2] === 'manifests') {
      if (faults.manifest500 === true) {
        res.writeHead(500, { 'Content-Type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'UNKNOWN', message: 'internal server error' }] }));
        return;
      }
      if (m[3] !== 'latest' && m[3] !== manifestDigest) {
        res.writeHead(404, { 'Content-Type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] }));
        return;
      }
      res.writeHead(200, { 'Content-Type': manifestType, 'Docker-Content-Digest': manifestDigest, 'Content-Length': manifest.length }).end(req.method === 'HEAD' ? undefined : manifest);
      return;
    }
    const blob = docs.blobs.get(m[3] as string);
    if (blob === undefined) {
      res.writeHead(404).end();
      return;
    }
    if ((faults.blob500 ?? 0) > 0) {
      faults.blob500 = (faults.blob500 ?? 0) - 1;
      res.writeHead(500).end();
      return;
    }
    const isLayer = m[3] !== docs.configDigest;
    const body = isLayer && faults.corruptLayers === true ? Buffer.from(blob.map((b) => b ^ 0xff)) : blob;
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': body.length });
    if (isLayer && (faults.closeMidBlob ?? 0) > 0) {
      faults.closeMidBlob = (faults.closeMidBlob ?? 0) - 1;
      res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.destroy());
      return;
    }
    res.end(body);
  };
  const server: Server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  host = `127.0.0.1:${typeof addr === 'object' && addr !== null ? addr.port : 0}`;
  return {
    host, repo, requests, faults,
    stop: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
