// The attachment cache: what ADD returned, kept so DEL and CHECK can hand it back as prevResult
// (the spec requires it) even after berth has restarted. One JSON file per
// network + container + interface, written to a temporary name and renamed.
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CapabilityArgs } from './types.js';

export interface CacheEntry {
  kind: 'berth-cni-cache-v1';
  networkName: string;
  containerId: string;
  ifName: string;
  netns: string;
  args?: Record<string, string>;
  capabilityArgs?: CapabilityArgs;
  /** The final ADD result exactly as the last plugin printed it (in the list's cniVersion). */
  result: unknown;
}

// Container ids and interface names are chosen by callers; keep the file name a single path
// component whatever they contain.
function safe(part: string): string {
  return part.replace(/[^A-Za-z0-9_.-]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

export class ResultCache {
  constructor(readonly dir: string) {}

  file(networkName: string, containerId: string, ifName: string): string {
    return join(this.dir, `${safe(networkName)}-${safe(containerId)}-${safe(ifName)}.json`);
  }

  async put(entry: CacheEntry): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const target = this.file(entry.networkName, entry.containerId, entry.ifName);
    const tmp = `${target}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(entry), { mode: 0o600 });
    await rename(tmp, target);
  }

  /** The entry, or undefined when there is none or it is unreadable (DEL must still proceed). */
  async get(networkName: string, containerId: string, ifName: string): Promise<CacheEntry | undefined> {
    let text: string;
    try {
      text = await readFile(this.file(networkName, containerId, ifName), 'utf8');
    } catch {
      return undefined;
    }
    try {
      const parsed = JSON.parse(text) as Partial<CacheEntry>;
      if (parsed.kind !== 'berth-cni-cache-v1' || parsed.networkName !== networkName) return undefined;
      return parsed as CacheEntry;
    } catch {
      return undefined;
    }
  }

  async remove(networkName: string, containerId: string, ifName: string): Promise<void> {
    await rm(this.file(networkName, containerId, ifName), { force: true });
  }
}
