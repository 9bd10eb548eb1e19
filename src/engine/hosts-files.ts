// /etc/hosts, /etc/hostname and /etc/resolv.conf of a container, written into its directory and
// bound into the rootfs as docker does (so the image's own files are left alone).
import { readFileSync, writeFileSync, renameSync } from 'node:fs';
import type { NetworkMode } from './config.js';
import { parseAddHost } from '../network/container-files.js';

/** --add-host, --dns, --dns-search, --dns-option: applied to the files of none and host containers too. */
export interface HostsExtras {
  addHosts?: string[];
  dns?: string[];
  dnsSearch?: string[];
  dnsOptions?: string[];
}

function writeAtomic(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text, { mode: 0o644 });
  renameSync(`${path}.tmp`, path);
}

/** The host's resolv.conf without loopback nameservers (unreachable from a new netns). */
export function containerResolvConf(hostText: string, network: NetworkMode): string {
  if (network === 'host') return hostText;
  const lines = hostText.split('\n').filter((l) => !/^\s*nameserver\s+(127\.|::1\s*$)/.test(l));
  return lines.join('\n').replace(/\n*$/, '\n');
}

/** resolv.conf with --dns (replacing the nameservers), --dns-search and --dns-option applied. */
export function applyDnsFlags(text: string, x: HostsExtras): string {
  if (x.dns === undefined && x.dnsSearch === undefined && x.dnsOptions === undefined) return text;
  const keep = text.split('\n').filter((l) => {
    if (x.dns !== undefined && /^\s*nameserver\s/.test(l)) return false;
    if (x.dnsSearch !== undefined && /^\s*(search|domain)\s/.test(l)) return false;
    if (x.dnsOptions !== undefined && /^\s*options\s/.test(l)) return false;
    return l.trim() !== '';
  });
  if (x.dnsSearch !== undefined && x.dnsSearch.length > 0) keep.push(`search ${x.dnsSearch.join(' ')}`);
  for (const ns of x.dns ?? []) keep.push(`nameserver ${ns}`);
  if (x.dnsOptions !== undefined && x.dnsOptions.length > 0) keep.push(`options ${x.dnsOptions.join(' ')}`);
  return keep.join('\n') + '\n';
}

export function writeHostsFiles(paths: { hosts: string; hostname: string; resolvConf: string }, hostname: string, network: NetworkMode, extras: HostsExtras = {}): void {
  let hostResolv = '';
  try {
    hostResolv = readFileSync('/etc/resolv.conf', 'utf8');
  } catch {
    /* no resolver configured */
  }
  if (network === 'host') {
    let hosts = '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n';
    try {
      hosts = readFileSync('/etc/hosts', 'utf8');
    } catch {
      /* keep the default */
    }
    writeAtomic(paths.hosts, hosts.replace(/\n*$/, '\n') + extraHosts(extras, '127.0.0.1'));
  } else {
    writeAtomic(
      paths.hosts,
      `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n${extraHosts(extras)}127.0.1.1\t${hostname}\n`,
    );
  }
  writeAtomic(paths.hostname, `${hostname}\n`);
  writeAtomic(paths.resolvConf, applyDnsFlags(containerResolvConf(hostResolv, network), extras));
}

// host-gateway: on the host's network the host is 127.0.0.1; with only lo there is no host to reach.
function extraHosts(x: HostsExtras, hostGateway?: string): string {
  return (x.addHosts ?? []).map((h) => parseAddHost(h, hostGateway)).map((h) => `${h.ip}\t${h.name}\n`).join('');
}
