// Isolation between berth networks, which the CNI plugins do not provide: with ip_forward on and
// the firewall plugin accepting each container's traffic, the host would route between any two
// bridges. Docker's two-stage scheme, with berth's own chains at the top of FORWARD:
//   BERTH-ISOLATION-1:  -i BR ! -o BR -j BERTH-ISOLATION-2   (traffic leaving a berth bridge…)
//   BERTH-ISOLATION-2:  -o BR -j DROP                        (…into another berth bridge dies)
// Internal networks drop everything crossing their bridge in stage 1. Connections the host
// DNATed (published ports) pass: reaching another network's published port is public by design.
import { run } from './run.js';

export const STAGE1 = 'BERTH-ISOLATION-1';
export const STAGE2 = 'BERTH-ISOLATION-2';

interface Bridged {
  bridge: string;
  internal: boolean;
}

const ipt = (args: string[]) => run('iptables', ['-w', ...args], { timeoutMs: 15_000 });

function rulesFor(n: Bridged): Array<[string, string[]]> {
  if (n.internal) {
    return [
      [STAGE1, ['-i', n.bridge, '!', '-o', n.bridge, '-j', 'DROP']],
      [STAGE1, ['!', '-i', n.bridge, '-o', n.bridge, '-j', 'DROP']],
      [STAGE2, ['-o', n.bridge, '-j', 'DROP']],
    ];
  }
  return [
    [STAGE1, ['-i', n.bridge, '!', '-o', n.bridge, '-j', STAGE2]],
    [STAGE2, ['-o', n.bridge, '-j', 'DROP']],
  ];
}

async function ensureChains(): Promise<void> {
  for (const c of [STAGE1, STAGE2]) await ipt(['-t', 'filter', '-N', c]); // fails harmlessly when it exists
  const dnat = ['-m', 'conntrack', '--ctstate', 'DNAT', '-j', 'RETURN'];
  if ((await ipt(['-t', 'filter', '-C', STAGE1, ...dnat])).code !== 0) await ipt(['-t', 'filter', '-I', STAGE1, '1', ...dnat]);
  // Our jump must stay the first rule of FORWARD: the CNI firewall plugin inserts its own
  // CNI-FORWARD (which accepts container traffic) at the top whenever a container is added.
  const forward = await ipt(['-t', 'filter', '-S', 'FORWARD']);
  const first = forward.stdout.split('\n').find((l) => l.startsWith('-A FORWARD'));
  if (first?.trim() === `-A FORWARD -j ${STAGE1}`) return;
  while ((await ipt(['-t', 'filter', '-D', 'FORWARD', '-j', STAGE1])).code === 0) {
    // drop every lower copy before putting it back on top
  }
  await ipt(['-t', 'filter', '-I', 'FORWARD', '1', '-j', STAGE1]);
}

/** Install a network's isolation rules; idempotent, and called after every CNI ADD. */
export async function ensureIsolation(n: Bridged): Promise<void> {
  const rules = rulesFor(n);
  await ensureChains();
  if ((await ipt(['-t', 'filter', '-C', rules[0]![0], ...rules[0]![1]])).code === 0) return;
  for (const [chain, args] of rules) {
    if ((await ipt(['-t', 'filter', '-C', chain, ...args])).code !== 0) await ipt(['-t', 'filter', '-A', chain, ...args]);
  }
}

/** Remove a network's rules; the chains too once no network is left in them. */
export async function removeIsolation(n: Bridged): Promise<void> {
  for (const internal of [false, true]) {
    for (const [chain, args] of rulesFor({ ...n, internal })) {
      while ((await ipt(['-t', 'filter', '-D', chain, ...args])).code === 0) {
        // deleted one copy; a racing create may have added two
      }
    }
  }
  const listed = await ipt(['-t', 'filter', '-S', STAGE1]);
  const s2 = await ipt(['-t', 'filter', '-S', STAGE2]);
  if (listed.code !== 0) return;
  const left = (text: string) => text.split('\n').filter((l) => l.startsWith('-A ') && !l.includes('--ctstate DNAT')).length;
  if (left(listed.stdout) > 0 || left(s2.stdout) > 0) return;
  while ((await ipt(['-t', 'filter', '-D', 'FORWARD', '-j', STAGE1])).code === 0) {
    // remove every jump
  }
  for (const c of [STAGE1, STAGE2]) {
    await ipt(['-t', 'filter', '-F', c]);
    await ipt(['-t', 'filter', '-X', c]);
  }
}
