// Upstream resolvers for the per-network DNS server, from the host's resolv.conf.
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';

export interface ResolvConf {
  nameservers: string[];
  search: string[];
  options: string[];
}

export function parseResolvConf(text: string): ResolvConf {
  const conf: ResolvConf = { nameservers: [], search: [], options: [] };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    if (!line) continue;
    const [key, ...rest] = line.split(/\s+/);
    if (key === 'nameserver' && rest[0] && isIP(rest[0].split('%')[0]!)) conf.nameservers.push(rest[0]);
    else if (key === 'search' || key === 'domain') conf.search = rest;
    else if (key === 'options') conf.options.push(...rest);
  }
  return conf;
}

function isLoopback(addr: string): boolean {
  return addr.startsWith('127.') || addr === '::1';
}

/**
 * The servers to forward to. Loopback stubs (systemd-resolved's 127.0.0.53, a local dnsmasq)
 * are skipped when real servers are listed too: containers' queries should not depend on a
 * host-only stub's view (split DNS for the host's VPN, etc.). When a stub is all there is, it
 * is used: the server runs in the host's namespace, where the stub is reachable.
 */
export function upstreamsFrom(conf: ResolvConf): string[] {
  const real = conf.nameservers.filter((a) => !isLoopback(a));
  return real.length ? real : conf.nameservers;
}

export async function hostUpstreams(paths = ['/etc/resolv.conf', '/run/systemd/resolve/resolv.conf']): Promise<string[]> {
  let fallback: string[] = [];
  for (const p of paths) {
    let text: string;
    try {
      text = await readFile(p, 'utf8');
    } catch {
      continue;
    }
    const servers = upstreamsFrom(parseResolvConf(text));
    // Only stubs here: systemd-resolved's own list of real servers may follow.
    if (servers.some((s) => !isLoopback(s))) return servers;
    if (!fallback.length) fallback = servers;
  }
  return fallback;
}
