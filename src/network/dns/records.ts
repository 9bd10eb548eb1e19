// The name table of one network: container names and aliases to IPv4 addresses, changed while
// the server runs as containers come and go.

export interface RecordEntry {
  /** Container name first (used for PTR answers), then aliases. */
  names: string[];
  ipv4: string[];
  /** The container's --dns: where its queries for other names go instead of the network's upstreams. */
  upstreams?: string[];
}

function norm(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

export class DnsRecords {
  private byId = new Map<string, RecordEntry>();

  /** Set (or replace) the names and addresses of one container. */
  set(containerId: string, entry: RecordEntry): void {
    this.byId.set(containerId, {
      names: entry.names.map(norm).filter(Boolean),
      ipv4: [...entry.ipv4],
      ...(entry.upstreams !== undefined && entry.upstreams.length > 0 ? { upstreams: [...entry.upstreams] } : {}),
    });
  }

  delete(containerId: string): boolean {
    return this.byId.delete(containerId);
  }

  clear(): void {
    this.byId.clear();
  }

  /** All IPv4 addresses for a name (several containers may share an alias). */
  lookup(name: string): string[] {
    const n = norm(name);
    const out: string[] = [];
    for (const e of this.byId.values()) {
      if (e.names.includes(n)) for (const ip of e.ipv4) if (!out.includes(ip)) out.push(ip);
    }
    return out;
  }

  has(name: string): boolean {
    const n = norm(name);
    for (const e of this.byId.values()) if (e.names.includes(n)) return true;
    return false;
  }

  /** The --dns upstreams of the container holding `ip`, if it has its own. */
  upstreamsOf(ip: string): string[] | undefined {
    for (const e of this.byId.values()) if (e.upstreams !== undefined && e.ipv4.includes(ip)) return e.upstreams;
    return undefined;
  }

  /** The primary name of the container holding `ip`. */
  reverse(ip: string): string | undefined {
    for (const e of this.byId.values()) if (e.ipv4.includes(ip) && e.names.length) return e.names[0];
    return undefined;
  }
}
