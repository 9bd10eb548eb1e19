// Network verbs of `berth` (the networking issue). verb → lazily loaded command.
import type { CommandTable } from './command.js';

const verbs = () => import('./networks/verbs.js');

export const networkCommands: CommandTable = {
  network: async () => (await verbs()).networkHelpCommand,
  'network create': async () => (await verbs()).createCommand,
  'network ls': async () => (await verbs()).lsCommand,
  'network list': async () => (await verbs()).lsCommand,
  'network inspect': async () => (await verbs()).inspectCommand,
  'network rm': async () => (await verbs()).rmCommand,
  'network remove': async () => (await verbs()).rmCommand,
  'network prune': async () => (await verbs()).pruneCommand,
  'network connect': async () => (await verbs()).connectCommand,
  'network disconnect': async () => (await verbs()).disconnectCommand,
  // Hidden (contains a space, so --help skips it): the per-network DNS daemon, for bundles that
  // have no separate berth-dns entry.
  'network dns-serve': async () => (await verbs()).dnsServeCommand,
};
