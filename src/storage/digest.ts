// Digests as berth accepts them: only sha256, written `sha256:` + 64 lower-case hex. Everything
// that names a file after a digest goes through here first, so a digest can never carry a path.

import { createHash, type Hash } from 'node:crypto';
import { BerthError } from '../errors.js';

export type Digest = `sha256:${string}`;

const SHA256_RE = /^sha256:[a-f0-9]{64}$/;
const ALGO_RE = /^([a-z0-9]+(?:[.+_-][a-z0-9]+)*):/;

export function isDigest(s: string): s is Digest {
  return SHA256_RE.test(s);
}

/** Validate an untrusted digest string; other algorithms are refused by name. */
export function parseDigest(s: string): Digest {
  if (SHA256_RE.test(s)) return s as Digest;
  const algo = ALGO_RE.exec(s)?.[1];
  if (algo !== undefined && algo !== 'sha256') {
    throw new BerthError('BERTH_EDIGEST', `digest algorithm "${algo}" is not supported (only sha256): ${s.slice(0, 80)}`);
  }
  throw new BerthError('BERTH_EDIGEST', `malformed digest "${s.slice(0, 80)}": want sha256: and 64 lower-case hex digits`);
}

export function digestHex(d: Digest): string {
  return d.slice('sha256:'.length);
}

export function sha256(): Hash {
  return createHash('sha256');
}

export function digestOf(data: Uint8Array | string): Digest {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export function hashDigest(h: Hash): Digest {
  return `sha256:${h.digest('hex')}`;
}
