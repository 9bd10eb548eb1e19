// BERTH_TRACE=1 prints the time of each step of create/start/rm to stderr (ms since process start):
// the cheapest way to see where a `run` spends its time.
import { performance } from 'node:perf_hooks';

const on = process.env.BERTH_TRACE === '1';

export function trace(label: string): void {
  if (on) process.stderr.write(`[trace ${performance.now().toFixed(1)}ms] ${label}\n`);
}
