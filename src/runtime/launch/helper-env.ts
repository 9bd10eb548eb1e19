// The environment berth-nsexec is started with, by us (launchHelper) or by the monitor: nothing of
// ours, except the file of its cgroup warm-up (src/runtime/cgroups/attach-warmup.ts).
import { attachWarmupFile } from '../cgroups/index.js';

/** `cgroupRoot` set means a fake tree (tests): no warm-up, which would write to the host's. */
export function helperEnv(cgroupRoot: string | undefined): Record<string, string> {
  const file = cgroupRoot === undefined ? attachWarmupFile() : undefined;
  return file === undefined ? {} : { BERTH_CGROUP_WARMUP: file };
}
