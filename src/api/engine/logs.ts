// `GET /containers/{id}/logs`: the monitor's json-file log read with tail/since/until, and with
// follow until the run's exit file appears (the monitor writes it after the last line).
import { existsSync } from 'node:fs';
import { readLogs, timeNanos } from '../../engine/monitor/index.js';
import { containerPaths } from '../../engine/paths.js';
import type { ApiStream, LogEntry, LogsOptions } from '../backend.js';
import { Channel } from '../channel.js';
import { isLive } from './lifecycle.js';
import type { EngineApi } from './state.js';

export async function logs(api: EngineApi, ref: string, opts: LogsOptions): Promise<{ tty: boolean; entries: ApiStream<LogEntry> }> {
  const rec = await api.find(ref);
  const paths = containerPaths(api.engine.paths, rec.id);
  const abort = new AbortController();
  // A container that is not running (and has no exit file: never started, or its run dir was
  // emptied by a reboot) has nothing more to say: following it would never end.
  const follow = opts.follow && (isLive(rec) || existsSync(paths.exitFile));
  const until = opts.until > 0 ? BigInt(Math.floor(opts.until * 1e6)) * 1000n : null;
  const source = readLogs(paths.log, {
    ...(opts.tail !== 'all' ? { tail: opts.tail } : {}),
    ...(opts.since > 0 ? { since: new Date(opts.since * 1000) } : {}),
    follow, signal: abort.signal, exitFile: paths.exitFile, pollMs: 50,
  });
  const ch = new Channel<LogEntry>(64, () => { abort.abort(); void source.return(undefined); });
  void (async () => {
    try {
      for await (const e of source) {
        if (ch.closed) break;
        if (until !== null && (timeNanos(e.time) ?? 0n) > until) break;
        if ((e.stream === 'stdout' && !opts.stdout) || (e.stream === 'stderr' && !opts.stderr)) continue;
        await ch.push({ stream: e.stream, time: e.time, data: Buffer.from(e.line) });
      }
      ch.end();
    } catch (e) {
      ch.end(e);
    }
  })();
  return { tty: rec.config.request.tty, entries: ch };
}
