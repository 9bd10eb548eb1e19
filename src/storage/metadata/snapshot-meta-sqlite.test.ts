import { OverlaySnapshotter } from '../overlay.js';
import { VfsSnapshotter } from '../vfs.js';
import { snapshotterSuite } from '../snapshotter-suite.js';
import { openDb } from './db.js';
import { SqliteMetaStore } from './snapshot-meta-sqlite.js';

// The same conformance suite as the JSON-backed snapshotters, with their records in SQLite.
snapshotterSuite('overlay (sqlite metadata)', (root) => new OverlaySnapshotter(root, { meta: new SqliteMetaStore(openDb(root), 'overlay') }));
snapshotterSuite('vfs (sqlite metadata)', (root) => new VfsSnapshotter(root, { meta: new SqliteMetaStore(openDb(root), 'vfs') }));
