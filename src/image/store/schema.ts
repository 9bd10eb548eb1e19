// The images side of berth.db (migrations 100–199; 100 is the snapshot table in src/storage).
//
// An image is its config digest (the ID docker shows). Layers are rows keyed by chain ID, shared by
// every image whose stack starts the same way; image_layers lists each image's stack in order with
// the blob it was unpacked from (kept for push and save). Leases name what a running pull or load
// has touched but not yet registered, so that garbage collection in another process leaves it be.

import { registerMigrations } from '../../storage/metadata/db.js';
import '../../storage/metadata/snapshot-meta-sqlite.js';

registerMigrations({
  version: 101,
  name: 'images',
  up: (db) => db.exec(`
  CREATE TABLE images (
    id TEXT PRIMARY KEY,
    manifest_digest TEXT NOT NULL,
    manifest_media_type TEXT NOT NULL,
    created TEXT NOT NULL,
    architecture TEXT NOT NULL,
    os TEXT NOT NULL,
    variant TEXT,
    config TEXT NOT NULL,
    top_chain_id TEXT,
    size INTEGER NOT NULL,
    added_at TEXT NOT NULL
  );
  CREATE TABLE layers (
    chain_id TEXT PRIMARY KEY,
    diff_id TEXT NOT NULL,
    parent TEXT,
    size INTEGER NOT NULL
  );
  CREATE TABLE image_layers (
    image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    chain_id TEXT NOT NULL REFERENCES layers(chain_id),
    diff_id TEXT NOT NULL,
    blob_digest TEXT NOT NULL,
    blob_size INTEGER NOT NULL,
    media_type TEXT NOT NULL,
    PRIMARY KEY (image_id, idx)
  );
  CREATE INDEX image_layers_chain ON image_layers (chain_id);
  CREATE TABLE tags (
    name TEXT PRIMARY KEY,
    image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
    tagged_at TEXT NOT NULL
  );
  CREATE INDEX tags_image ON tags (image_id);
  CREATE TABLE repo_digests (
    name TEXT NOT NULL,
    image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
    PRIMARY KEY (name, image_id)
  );
  CREATE TABLE leases (
    id TEXT PRIMARY KEY,
    pid INTEGER NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE TABLE lease_refs (
    lease_id TEXT NOT NULL REFERENCES leases(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('blob', 'snapshot')),
    key TEXT NOT NULL,
    PRIMARY KEY (lease_id, kind, key)
  );`),
});
