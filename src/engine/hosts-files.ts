// /etc/hosts, /etc/hostname and /etc/resolv.conf of a container, written into its directory and
// bound into the rootfs as docker does (so the image's own files are left alone).
import { readFileSync, writeFileSync, renameSync } from 'node:fs';
import type { NetworkMode } from './config.js';

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

export function writeHostsFiles(paths: { hosts: string; hostname: string; resolvConf: string }, hostname: string, network: NetworkMode): void {
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
    writeAtomic(paths.hosts, hosts);
  } else {
    writeAtomic(
      paths.hosts,
      `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n127.0.1.1\t${hostname}\n`,
    );
  }
  writeAtomic(paths.hostname, `${hostname}\n`);
  writeAtomic(paths.resolvConf, containerResolvConf(hostResolv, network));
}
