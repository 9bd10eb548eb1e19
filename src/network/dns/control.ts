// Starting, signalling and stopping a network's DNS daemon, and writing what it serves.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BerthError } from '../../errors.js';
import type { Db } from '../../storage/metadata/db.js';
import { DNS_SEARCH_DOMAIN } from '../container-files.js';
import { dnsLogPath, dnsPidPath, dnsRecordsPath, dnsStateDir } from '../paths.js';
import { attachmentsOfNetwork, type NetworkInfo } from '../store.js';
import { hostUpstreams } from './resolv-conf.js';
import { writeDnsState, type DnsStateFile } from './state-file.js';

/** Network option naming the servers foreign names go to ("" for none); default: the host's. */
export const UPSTREAMS_OPTION = 'dns.upstreams';

export async function networkUpstreams(net: NetworkInfo): Promise<string[]> {
  const o = net.options[UPSTREAMS_OPTION];
  if (o !== undefined) return o.split(',').map((s) => s.trim()).filter(Boolean);
  return hostUpstreams();
}

/**
 * Rewrite dns.json from the attachments in the database. Call inside the transaction that changed
 * them. Returns how many containers are on the network (any state), so the caller knows whether
 * the daemon is still needed.
 */
export function syncDnsState(db: Db, runRoot: string, net: NetworkInfo, upstreams: string[]): number {
  const atts = attachmentsOfNetwork(db, net.name);
  const state: DnsStateFile = {
    kind: 'berth-dns-v1',
    network: net.name,
    address: net.gateway,
    port: 53,
    searchDomain: DNS_SEARCH_DOMAIN,
    upstreams,
    records: atts.filter((a) => a.state === 'attached' && a.ip).map((a) => ({
      id: a.containerId,
      // Docker answers for the short id too (it is every container's implicit alias).
      names: [a.containerName, ...a.aliases, a.containerId.slice(0, 12)].filter(Boolean),
      ipv4: [a.ip!],
      ...(a.dns !== undefined ? { upstreams: a.dns } : {}),
    })),
  };
  if (atts.length > 0) writeDnsState(dnsRecordsPath(runRoot, net.name), state);
  return atts.length;
}

/**
 * How to start the daemon: daemon-entry.js beside this file in the tsc build; in the bundle,
 * dist/berth-dns.mjs, else the hidden verb `berth network dns-serve` of dist/berth.mjs.
 */
export function daemonCommand(stateDir: string): string[] {
  const own = [new URL('./daemon-entry.js', import.meta.url), new URL('./berth-dns.mjs', import.meta.url)].map((u) => fileURLToPath(u));
  for (const p of own) if (existsSync(p)) return [p, '--state-dir', stateDir];
  const cli = fileURLToPath(new URL('./berth.mjs', import.meta.url));
  if (existsSync(cli)) return [cli, 'network', 'dns-serve', '--state-dir', stateDir];
  throw new BerthError('BERTH_EINTERNAL', 'cannot find the DNS daemon (daemon-entry.js, berth-dns.mjs or berth.mjs) beside berth');
}

function isOurDaemon(pid: number, stateDir: string): boolean {
  try {
    // A recycled pid running something else must never be signalled.
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(stateDir);
  } catch {
    return false;
  }
}

/** The daemon's pid if it is running. */
export function dnsDaemonPid(runRoot: string, network: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(dnsPidPath(runRoot, network), 'utf8').trim());
  } catch {
    return undefined;
  }
  return Number.isInteger(pid) && pid > 0 && isOurDaemon(pid, dnsStateDir(runRoot, network)) ? pid : undefined;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Make sure the daemon runs and serves the current dns.json (SIGHUP when it already runs). */
export async function ensureDnsDaemon(runRoot: string, network: string, timeoutMs = 5000): Promise<number> {
  const running = dnsDaemonPid(runRoot, network);
  if (running) {
    process.kill(running, 'SIGHUP');
    return running;
  }
  const dir = dnsStateDir(runRoot, network);
  const logFd = openSync(dnsLogPath(runRoot, network), 'a', 0o644);
  let exited: number | null | undefined;
  let child;
  try {
    child = spawn(process.execPath, daemonCommand(dir), { detached: true, stdio: ['ignore', logFd, logFd] });
  } finally {
    closeSync(logFd);
  }
  child.on('exit', (code) => (exited = code));
  child.on('error', () => (exited = -1));
  child.unref();
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const pid = dnsDaemonPid(runRoot, network);
    // Either ours came up, or another berth process won the race to start it (ours then fails
    // to bind and exits): both leave a live daemon serving the same file.
    if (pid) {
      if (pid !== child.pid) process.kill(pid, 'SIGHUP');
      return pid;
    }
    if (exited !== undefined) break;
    await sleep(20);
  }
  if (exited === undefined && child.pid) {
    try {
      process.kill(child.pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  let why = '';
  try {
    why = readFileSync(dnsLogPath(runRoot, network), 'utf8').trim().split('\n').pop() ?? '';
  } catch {
    // no log
  }
  throw new BerthError('BERTH_ENETWORK', `the DNS server of network ${network} did not start${why ? `: ${why}` : ''}`);
}

/** Stop the daemon (if any), wait for it to exit, and remove its state directory. */
export async function stopDnsDaemon(runRoot: string, network: string, timeoutMs = 5000): Promise<void> {
  const pid = dnsDaemonPid(runRoot, network);
  if (pid) {
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + timeoutMs;
    while (existsSync(`/proc/${pid}`) && isOurDaemon(pid, dnsStateDir(runRoot, network))) {
      if (Date.now() > deadline) {
        process.kill(pid, 'SIGKILL');
        break;
      }
      await sleep(10);
    }
  }
  rmSync(dnsStateDir(runRoot, network), { recursive: true, force: true });
}
