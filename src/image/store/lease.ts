// A lease protects what a pull, load or import has fetched or unpacked before the image row that
// references it exists. Garbage collection treats the refs of a lease whose process is alive as
// roots; a lease left by a dead process is swept with what only it protected.

import { randomBytes } from 'node:crypto';
import { tx, type Db } from '../../storage/metadata/db.js';

export class Lease {
  readonly id: string;
  private released = false;

  constructor(private readonly db: Db) {
    this.id = `${process.pid}-${randomBytes(6).toString('hex')}`;
    tx(db, () => db.prepare('INSERT INTO leases (id, pid, created_at) VALUES (?, ?, ?)').run(this.id, process.pid, new Date().toISOString()));
  }

  /** Call before checking for or creating the thing: GC waits for this write, or finished before it. */
  add(kind: 'blob' | 'snapshot', key: string): void {
    tx(this.db, () => this.db.prepare('INSERT OR IGNORE INTO lease_refs (lease_id, kind, key) VALUES (?, ?, ?)').run(this.id, kind, key));
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    tx(this.db, () => this.db.prepare('DELETE FROM leases WHERE id = ?').run(this.id));
  }
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
