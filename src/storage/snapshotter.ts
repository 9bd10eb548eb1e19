// The snapshotter interface, as containerd shapes it: snapshots are directories stacked by parent;
// callers get mount descriptions and do the mounting themselves (the runtime's C helper, or a test
// with mount(8)), so a snapshotter never holds a mount and never needs to clean one up.
//
// Kinds: `prepare` makes an *active* snapshot (writable), `view` a read-only one, and `commit` turns
// an active snapshot into a *committed* one under a new name, which can then be a parent. Layers are
// committed under their chain ID, so equal stacks of layers are stored once.

export type SnapshotKind = 'active' | 'view' | 'committed';

export interface SnapshotInfo {
  key: string;
  kind: SnapshotKind;
  parent?: string;
  createdAt: string;
  labels?: Record<string, string>;
}

/** One mount, as mount(2) takes it: options are both flags (ro, rbind) and filesystem data. */
export interface Mount {
  type: string;
  source: string;
  options: string[];
}

/** Disk use of the snapshot's own directory (not its parents): bytes allocated and inodes. */
export interface Usage {
  size: number;
  inodes: number;
}

export interface Snapshotter {
  /** Active (writable) snapshot on top of the committed `parent`, or empty. */
  prepare(key: string, parent?: string, opts?: { labels?: Record<string, string> }): Promise<Mount[]>;
  /** Read-only snapshot of the committed `parent`, or an empty one. */
  view(key: string, parent?: string, opts?: { labels?: Record<string, string> }): Promise<Mount[]>;
  /** Freeze the active snapshot `key` as `name`; `key` no longer exists afterwards. */
  commit(name: string, key: string): Promise<void>;
  /** Mounts of an active snapshot or a view. */
  mounts(key: string): Promise<Mount[]>;
  /** Remove a snapshot that has no children. */
  remove(key: string): Promise<void>;
  usage(key: string): Promise<Usage>;
  stat(key: string): Promise<SnapshotInfo>;
  walk(): AsyncIterable<SnapshotInfo>;
  /** Remove directories no snapshot refers to (left by a crash between the two steps of a change). */
  cleanup(): Promise<void>;
}
