// What the plugins leave behind, removed by us. bridge 1.1.1 finds a container's masquerade rules
// through the addresses inside its namespace, so a DEL after the namespace is gone (a crash, a
// reboot) leaves them; and the bridge device itself outlives every DEL by design. The plugins tag
// their rules with a comment `name: "NETWORK" id: "CONTAINER"`, which is what we match.
import { existsSync } from 'node:fs';
import { contains, parseCidr, parseIp } from './ipv4.js';
import { run } from './run.js';

interface Rule {
  table: string;
  chain: string;
  args: string[];
  target?: string;
  comment?: string;
  line: string;
}

/** Split an iptables-save rule like a shell would (comments are double-quoted). */
export function splitRule(rule: string): string[] {
  return [...rule.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)].map((m) => (m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2]!));
}

export function parseIptablesSave(text: string): { rules: Rule[]; chains: Map<string, string> } {
  const rules: Rule[] = [];
  const chains = new Map<string, string>();
  let table = '';
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) table = line.slice(1).trim();
    const c = /^:(\S+) /.exec(line);
    if (c) chains.set(`${table}/${c[1]}`, table);
    if (!line.startsWith('-A ')) continue;
    const words = splitRule(line.slice(3));
    const chain = words.shift()!;
    const j = words.indexOf('-j');
    const ci = words.indexOf('--comment');
    rules.push({
      table, chain, args: words, line,
      ...(j >= 0 && words[j + 1] ? { target: words[j + 1] } : {}),
      ...(ci >= 0 && words[ci + 1] !== undefined ? { comment: words[ci + 1] } : {}),
    });
  }
  return { rules, chains };
}

async function iptablesSave(): Promise<string> {
  const r = await run('iptables-save', [], { timeoutMs: 15_000 });
  return r.code === 0 ? r.stdout : '';
}

/** Delete the rules `match` selects and the CNI chains only they jumped to. Returns rules removed. */
async function removeRules(match: (r: Rule) => boolean): Promise<number> {
  const { rules } = parseIptablesSave(await iptablesSave());
  const doomed = rules.filter(match);
  if (doomed.length === 0) return 0;
  const targets = new Set(doomed.filter((r) => r.target?.startsWith('CNI-')).map((r) => `${r.table}/${r.target}`));
  // Shared chains (CNI-HOSTPORT-*, CNI-FORWARD) are jumped to from rules that stay: keep them.
  for (const r of rules) if (!doomed.includes(r) && r.target && targets.has(`${r.table}/${r.target}`) && !targets.has(`${r.table}/${r.chain}`)) targets.delete(`${r.table}/${r.target}`);
  let removed = 0;
  for (const r of doomed) {
    if (targets.has(`${r.table}/${r.chain}`)) continue; // goes with its chain
    const res = await run('iptables', ['-w', '-t', r.table, '-D', r.chain, ...r.args], { timeoutMs: 15_000 });
    if (res.code === 0) removed++;
  }
  for (const t of targets) {
    const [table, chain] = t.split('/') as [string, string];
    await run('iptables', ['-w', '-t', table, '-F', chain], { timeoutMs: 15_000 });
    const res = await run('iptables', ['-w', '-t', table, '-X', chain], { timeoutMs: 15_000 });
    if (res.code === 0) removed++;
  }
  return removed;
}

const tag = (network: string): string => `name: "${network}" id: "`;

/** Rules the plugins tagged with this network and container. */
export function removeContainerRules(network: string, containerId: string): Promise<number> {
  const t = `${tag(network)}${containerId}"`;
  return removeRules((r) => r.comment !== undefined && r.comment.includes(t));
}

/**
 * Every rule left for a network: the ones tagged with its name, and firewall-plugin accepts for
 * addresses of its subnet (those carry no tag).
 */
export function removeNetworkRules(network: string, subnet: string): Promise<number> {
  const cidr = parseCidr(subnet);
  const inSubnet = (args: string[]): boolean => {
    for (const flag of ['-s', '-d']) {
      const i = args.indexOf(flag);
      const v = i >= 0 ? args[i + 1] : undefined;
      const ip = v ? parseIp(v.replace(/\/32$/, '')) : undefined;
      if (cidr && ip !== undefined && contains(cidr, ip)) return true;
    }
    return false;
  };
  return removeRules((r) => (r.comment !== undefined && r.comment.includes(tag(network))) || (r.chain === 'CNI-FORWARD' && inSubnet(r.args)));
}

export async function removeBridge(bridge: string): Promise<void> {
  if (!existsSync(`/sys/class/net/${bridge}`)) return;
  await run('ip', ['link', 'del', bridge], { timeoutMs: 15_000 });
}

export function linkExists(name: string): boolean {
  return existsSync(`/sys/class/net/${name}`);
}
