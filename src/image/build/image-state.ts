// What a build carries from step to step: the layer stack and the image config document (config,
// history, platform). A cache entry is one of these, so a cache hit restores exactly the state the
// step produced, timestamps included, and a fully cached build gives the same image ID again.

import { existsSync } from 'node:fs';
import { isBerthError } from '../../errors.js';
import type { Digest } from '../../storage/digest.js';
import { MAX_CONFIG_SIZE, MT, toOciMediaType, type HistoryEntry } from '../manifest.js';
import type { ImageRecord, LocalImageStore } from '../store.js';

export interface LayerDesc {
  diffId: Digest;
  chainId: Digest;
  blobDigest: Digest;
  blobSize: number;
  mediaType: string;
  /** Bytes of the uncompressed tar. */
  size: number;
}

/** The image config document as written to the config blob; `config` keeps fields berth does not model. */
export interface ConfigDoc {
  created?: string;
  author?: string;
  architecture: string;
  os: string;
  variant?: string;
  config: Record<string, unknown>;
  history: HistoryEntry[];
}

export interface BuildState {
  layers: LayerDesc[];
  doc: ConfigDoc;
}

export function scratchState(platform: { os: string; architecture: string; variant?: string }): BuildState {
  return {
    layers: [],
    doc: {
      architecture: platform.architecture, os: platform.os, ...(platform.variant === undefined ? {} : { variant: platform.variant }),
      config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] }, history: [],
    },
  };
}

export async function stateFromImage(store: LocalImageStore, img: ImageRecord): Promise<BuildState> {
  const raw = JSON.parse((await store.contentStore().readAll(img.id, { maxSize: MAX_CONFIG_SIZE })).toString('utf8')) as Record<string, unknown>;
  const layers: LayerDesc[] = store.layers(img.id).map((l) => ({
    diffId: l.diffId, chainId: l.chainId, blobDigest: l.blobDigest, blobSize: l.blobSize, mediaType: l.mediaType, size: l.size,
  }));
  const cfg = (raw.config ?? {}) as Record<string, unknown>;
  return {
    layers,
    doc: {
      ...(typeof raw.created === 'string' ? { created: raw.created } : {}),
      ...(typeof raw.author === 'string' ? { author: raw.author } : {}),
      architecture: img.architecture, os: img.os, ...(img.variant === undefined ? {} : { variant: img.variant }),
      config: { ...cfg }, history: Array.isArray(raw.history) ? (raw.history as HistoryEntry[]) : [],
    },
  };
}

export function cloneState(s: BuildState): BuildState {
  return JSON.parse(JSON.stringify(s)) as BuildState;
}

/** Whether every layer of a cached state is still in the store (GC may have taken unreferenced ones). */
export async function layersPresent(store: LocalImageStore, s: BuildState): Promise<boolean> {
  for (const l of s.layers) {
    const row = store.db.prepare('SELECT 1 FROM layers WHERE chain_id = ?').get(l.chainId);
    if (row === undefined || !existsSync(store.contentStore().blobPath(l.blobDigest))) return false;
    try {
      const st = await store.snapshotter().stat(l.chainId);
      if (st.kind !== 'committed') return false;
    } catch (e) {
      if (isBerthError(e)) return false;
      throw e;
    }
  }
  return true;
}

/** The config blob of a state, as bytes (key order fixed by construction, so equal states give equal IDs). */
export function configBytes(s: BuildState): Buffer {
  const d = s.doc;
  const created = d.created ?? d.history[d.history.length - 1]?.created;
  const doc: Record<string, unknown> = {
    ...(created === undefined ? {} : { created }),
    ...(d.author === undefined ? {} : { author: d.author }),
    architecture: d.architecture,
    os: d.os,
    ...(d.variant === undefined ? {} : { variant: d.variant }),
    config: d.config,
    rootfs: { type: 'layers', diff_ids: s.layers.map((l) => l.diffId) },
    history: d.history,
  };
  return Buffer.from(JSON.stringify(doc));
}

export function manifestBytes(s: BuildState, config: { digest: Digest; size: number }): Buffer {
  return Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: MT.ociManifest,
    config: { mediaType: MT.ociConfig, digest: config.digest, size: config.size },
    layers: s.layers.map((l) => ({ mediaType: toOciMediaType(l.mediaType), digest: l.blobDigest, size: l.blobSize })),
  }));
}
