// The file a network's DNS daemon serves from (<runRoot>/networks/<name>/dns.json). attach and
// detach rewrite it whole, atomically, from the database (inside the transaction that changed the
// attachments, so two berth processes cannot interleave stale copies), then signal the daemon.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { RecordEntry } from './records.js';

export interface DnsStateFile {
  kind: 'berth-dns-v1';
  network: string;
  /** Listen address: the network's gateway. */
  address: string;
  /** 53 unless a test says otherwise. */
  port: number;
  searchDomain: string;
  /** "ip" or "ip:port"; empty: foreign names get SERVFAIL and nothing is forwarded. */
  upstreams: string[];
  records: Array<RecordEntry & { id: string }>;
}

export function writeDnsState(path: string, state: DnsStateFile): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(state, null, 1), { mode: 0o644 });
  renameSync(tmp, path);
}

export function readDnsState(path: string): DnsStateFile {
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<DnsStateFile>;
  if (parsed.kind !== 'berth-dns-v1' || typeof parsed.address !== 'string' || !Array.isArray(parsed.records)) {
    throw new Error(`${path} is not a berth DNS state file`);
  }
  return {
    kind: 'berth-dns-v1',
    network: String(parsed.network ?? ''),
    address: parsed.address,
    port: typeof parsed.port === 'number' ? parsed.port : 53,
    searchDomain: String(parsed.searchDomain ?? ''),
    upstreams: Array.isArray(parsed.upstreams) ? parsed.upstreams.map(String) : [],
    records: parsed.records,
  };
}
