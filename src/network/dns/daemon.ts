// The long-lived DNS server of one network, one process per network with containers on it (no
// berth daemon needed). It serves what dns.json says; berth rewrites that file and sends SIGHUP,
// and a slow poll of its mtime catches a lost signal. It exits on SIGTERM, or by itself when
// its state directory is removed (the network is gone).
import { readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DnsServer } from './server.js';
import { readDnsState, type DnsStateFile } from './state-file.js';

export interface DaemonOptions {
  stateDir: string;
  /** How often dns.json's mtime is compared; default 2 s. */
  pollMs?: number;
  log?: (line: string) => void;
}

const MAX_LOGGED_ERRORS = 200;

export async function runDnsDaemon(o: DaemonOptions): Promise<void> {
  const statePath = join(o.stateDir, 'dns.json');
  const pidPath = join(o.stateDir, 'dns.pid');
  const log = o.log ?? ((l: string) => process.stderr.write(`${new Date().toISOString()} ${l}\n`));
  let errors = 0;
  let state: DnsStateFile = readDnsState(statePath);
  const server = new DnsServer({
    address: state.address,
    port: state.port,
    upstreams: state.upstreams,
    searchDomain: state.searchDomain || undefined,
    // A container waiting on a dead upstream should learn quickly; resolvers retry anyway.
    timeoutMs: 1500,
    onError: (e) => {
      // A noisy upstream must not fill the run root's tmpfs.
      if (++errors <= MAX_LOGGED_ERRORS) log(`error: ${(e as Error).message ?? String(e)}`);
    },
  });
  const load = (s: DnsStateFile): void => {
    server.records.clear();
    for (const r of s.records) server.records.set(r.id, { names: r.names, ipv4: r.ipv4, ...(r.upstreams !== undefined ? { upstreams: r.upstreams } : {}) });
    server.setUpstreams(s.upstreams);
  };
  load(state);
  await server.start();
  let mtime = mtimeOf(statePath);
  // The pid file appears only once the sockets are bound: berth waits for it to know the server is up.
  const tmp = `${pidPath}.${process.pid}.tmp`;
  writeFileSync(tmp, `${process.pid}\n`);
  renameSync(tmp, pidPath);
  log(`serving network ${state.network} on ${state.address}:${server.port} with ${state.records.length} record(s)`);

  const reload = (why: string): void => {
    try {
      mtime = mtimeOf(statePath);
      state = readDnsState(statePath);
      load(state);
      log(`reloaded (${why}): ${state.records.length} record(s)`);
    } catch (e) {
      // Keep serving the last good table: a half-removed network or a bad file must not stop DNS.
      log(`reload failed: ${(e as Error).message}`);
    }
  };

  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (why: string): void => {
      if (stopping) return;
      stopping = true;
      log(`stopping: ${why}`);
      clearInterval(timer);
      void server.stop().then(() => {
        try {
          if (readFileSync(pidPath, 'utf8').trim() === String(process.pid)) rmSync(pidPath, { force: true });
        } catch {
          // already removed with the state directory
        }
        resolve();
      });
    };
    const timer = setInterval(() => {
      const now = mtimeOf(statePath);
      if (now === undefined) stop('state file removed');
      else if (now !== mtime) reload('changed');
    }, o.pollMs ?? 2000);
    process.on('SIGHUP', () => reload('SIGHUP'));
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
}

function mtimeOf(p: string): number | undefined {
  try {
    return statSync(p).mtimeMs;
  } catch {
    return undefined;
  }
}
