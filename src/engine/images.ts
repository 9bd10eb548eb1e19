// The engine's view of the image store (docs/engine-image-contract.md): the interface it uses,
// narrowed to what the engine needs. BERTH_IMAGE_STORE_MODULE can point at another implementation
// (the test stand-in in test/helpers/engine-image-standin.ts, kept for testing the engine alone).
import { pathToFileURL } from 'node:url';
import { BerthError } from '../errors.js';
import type { Snapshotter } from '../storage/snapshotter.js';

export interface ImageConfigBody {
  User?: string;
  ExposedPorts?: Record<string, object>;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Volumes?: Record<string, object>;
  WorkingDir?: string;
  Labels?: Record<string, string>;
  StopSignal?: string;
  Healthcheck?: { Test?: string[]; Interval?: number; Timeout?: number; StartPeriod?: number; Retries?: number };
  OnBuild?: string[];
}

export interface ImageRecord {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  created: string;
  size: number;
  architecture: string;
  os: string;
  config: ImageConfigBody;
  diffIds: string[];
  topChainId: string | undefined;
}

export interface ImageStore {
  resolve(nameOrId: string): Promise<ImageRecord>;
  list(): Promise<ImageRecord[]>;
  snapshotter(): Snapshotter;
  createImageFromLayer(opts: {
    parent?: ImageRecord;
    layerTar: NodeJS.ReadableStream;
    config?: Partial<ImageConfigBody>;
    comment?: string;
    author?: string;
    tags?: string[];
  }): Promise<ImageRecord>;
}

interface StoreModule {
  openImageStore(root: string): ImageStore;
}

export const IMAGE_STORE_ENV = 'BERTH_IMAGE_STORE_MODULE';

const cache = new Map<string, ImageStore>();

export async function openImages(root: string): Promise<ImageStore> {
  const hit = cache.get(root);
  if (hit !== undefined) return hit;
  const override = process.env[IMAGE_STORE_ENV];
  let mod: StoreModule;
  if (override !== undefined && override !== '') {
    try {
      mod = (await import(pathToFileURL(override).href)) as StoreModule;
    } catch (e) {
      throw new BerthError('BERTH_EUNSUPPORTED', `${IMAGE_STORE_ENV}=${override}: ${(e as Error).message}`, { cause: e });
    }
  } else {
    mod = (await import('../image/store.js')) as unknown as StoreModule;
  }
  const store = mod.openImageStore(root);
  cache.set(root, store);
  return store;
}
