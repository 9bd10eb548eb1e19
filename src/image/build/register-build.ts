// Keeping a build's layers alive until its image is registered, and registering it.
import type { Lease } from '../store/lease.js';
import type { BuildState } from './image-state.js';
export { registerState } from './commit.js';

/** Adds the state's layers (snapshots and blobs) to the build's lease, once each. */
export function commitLayerLease(lease: Lease, s: BuildState, leased: Set<string>): void {
  for (const l of s.layers) {
    if (leased.has(l.chainId)) continue;
    leased.add(l.chainId);
    lease.add('snapshot', l.chainId);
    lease.add('blob', l.blobDigest);
  }
}
