// The public face of the cgroup drivers; the rest of berth imports from here only.

export {
  openCgroupManager,
  detectCgroupVersion,
  DEFAULT_CGROUP_ROOT,
  type CgroupManager,
  type CgroupManagerOptions,
  type CgroupStats,
  type BlkioStatEntry,
} from './driver.js';
export { hostCgroupFs, stderrWarning, type CgroupFs, type WarningSink } from './fs.js';
export { resolveCgroupPath } from './paths.js';
export { attachWarmupFile, stopAttachWarmup, warmAttachFor } from './attach-warmup.js';
export { sharesToWeight, sharesToWeightLinear, blkioWeightToIoWeight, swapToV2 } from './convert.js';
export type * from './resources.js';
