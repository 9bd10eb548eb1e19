// `berth build` and its aliases. verb → lazily loaded command: the builder is the largest part of
// berth and must not be loaded for every other verb.
import type { CommandTable } from './command.js';

const verbs = () => import('./builds/build.js');

export const buildCommands: CommandTable = {
  build: async () => (await verbs()).buildCommand,
  'image build': async () => (await verbs()).buildCommand,
  'builder prune': async () => (await verbs()).pruneCommand,
};
