// BERTH_TRACE=1 prints the time of each step of create/start/rm to stderr (ms since process start):
// the cheapest way to see where a `run` spends its time. The global `performance`, not
// node:perf_hooks, which the V8 startup snapshot of bin/berth warns about.

// Read at the first call, not at load: the module may be evaluated when the snapshot is built.
let on: boolean | undefined;

export function trace(label: string): void {
  on ??= process.env.BERTH_TRACE === '1';
  if (on) process.stderr.write(`[trace ${performance.now().toFixed(1)}ms] ${label}\n`);
}
